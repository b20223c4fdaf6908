#!/usr/bin/env node
/** The wacs binary. `wacs run` starts a small watcher process beside itself (see watcher.ts). */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { traceMark, tracePeakRss } from '@wacs/core/trace';

traceMark('node-started', performance.timeOrigin);
traceMark('cli-entered');
process.on('exit', () => {
  traceMark('exit');
  tracePeakRss();
});

const argv = process.argv.slice(2);

/** The --timeout of a `wacs run`, in seconds (options come before `--`). */
function timeoutSeconds(): number | undefined {
  const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  const at = options.findIndex((a) => a === '--timeout' || a.startsWith('--timeout='));
  if (at < 0) return undefined;
  const value = Number(options[at]!.includes('=') ? options[at]!.split('=')[1] : options[at + 1]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function startWatcher(): void {
  const timeout = timeoutSeconds();
  const watcher = spawn(process.execPath, [fileURLToPath(new URL('./watcher.js', import.meta.url)), String(process.pid), String(timeout ? timeout * 1000 : 0)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  // It waits for the host to die: at the lowest priority its own start-up does not take CPU from
  // the host's (on a small machine the two start at the same moment).
  try {
    setPriority(watcher.pid!, 19);
  } catch {
    // not permitted here: it starts at normal priority
  }
  // The watcher must not keep this process alive, and goes when it exits normally.
  watcher.unref();
  watcher.channel?.unref();
  process.on('exit', () => watcher.kill());
  // Stopped by a signal (Ctrl-C, a supervisor's SIGTERM) is not a crash: the watcher goes first,
  // then the signal ends this process as it would have (no exit handlers run, so no worker is torn
  // down in the middle of an engine's native call).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      watcher.kill();
      process.kill(process.pid, signal);
    });
  }
}

if (argv[0] === 'run' && !process.env.WACS_NO_WATCHER) startWatcher();
traceMark('watcher-spawned');

// `wacs … | head` closes stdout early: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('./main.js');
traceMark('cli-loaded');
// Exit now: a backend may still hold timers or native work for a guest that is gone (--timeout).
process.exit(await main(argv));
