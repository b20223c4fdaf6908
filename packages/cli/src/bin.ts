#!/usr/bin/env node
/**
 * The wacs binary. `wacs run` works in a child process watched by this one: a backend's native
 * code can crash the whole process (an abort, a segfault), and only a parent can still tell the
 * person what happened. The parent stays light: it imports nothing else.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const NATIVE_CRASHES = ['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGILL', 'SIGFPE'];

/** The --timeout of a `wacs run`, in seconds (options come before `--`). */
function timeoutSeconds(): number | undefined {
  const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  const at = options.findIndex((a) => a === '--timeout' || a.startsWith('--timeout='));
  if (at < 0) return undefined;
  const value = Number(options[at]!.includes('=') ? options[at]!.split('=')[1] : options[at + 1]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Past --timeout, the child has this long to end the guest itself before it is killed. */
const TIMEOUT_GRACE_MS = 5000;

function supervise(): void {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, WACS_SUPERVISED: '1' },
  });
  // A guest blocked inside native code cannot be stopped from within the process: stop the process.
  const timeout = timeoutSeconds();
  if (timeout !== undefined) {
    setTimeout(() => {
      child.kill('SIGKILL');
      process.stderr.write(`wacs: guest killed: it ran past the --timeout of ${timeout} s (blocked where it could not be interrupted)\n`);
      process.exit(124);
    }, timeout * 1000 + TIMEOUT_GRACE_MS).unref();
  }
  // Ctrl-C reaches the child with the terminal's process group; other signals are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    const why = NATIVE_CRASHES.includes(signal)
      ? "a backend's native code (an engine such as llama.cpp or onnxruntime) crashed while serving the guest"
      : signal === 'SIGKILL'
        ? 'it was killed (out of memory, or by another process)'
        : 'it was stopped by that signal';
    process.stderr.write(`wacs: the host process died from ${signal}: ${why}\n`);
    process.exit(128 + (constants.signals[signal] ?? 0));
  });
}

/** A supervised child whose supervisor is gone (killed with SIGKILL, say) ends too, not running on unwatched. */
function followSupervisor(): void {
  const supervisor = process.ppid;
  setInterval(() => {
    if (process.ppid !== supervisor) process.exit(129);
  }, 500).unref();
}

async function work(): Promise<void> {
  if (process.env.WACS_SUPERVISED) followSupervisor();
  // `wacs … | head` closes stdout early: stop quietly, as other command-line tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const { main } = await import('./main.js');
  // Exit now: a backend may still hold timers or native work for a guest that is gone (--timeout).
  process.exit(await main(argv));
}

if (argv[0] === 'run' && !process.env.WACS_SUPERVISED && !process.env.WACS_NO_SUPERVISOR) supervise();
else await work();
