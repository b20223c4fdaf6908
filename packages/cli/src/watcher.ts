/**
 * The watcher `wacs run` starts beside itself. A backend's native code can crash the host process
 * (an abort, a segfault) before any of its JavaScript runs again; this process outlives it and says
 * so. It also ends a host whose guest is stuck in native code past --timeout. It runs beside the
 * host at the lowest CPU priority (its start-up must not slow the host's) and imports nothing else.
 *
 *   watcher.js <host pid> [<timeout ms>]
 */
const hostPid = Number(process.argv[2]);
const timeoutMs = Number(process.argv[3] ?? 0);
/** Past --timeout, the host has this long to end the guest itself. */
const TIMEOUT_GRACE_MS = 5000;

// The host kills this process when it exits normally; losing the channel without that means it died.
function hostDied(): void {
  process.stderr.write("wacs: the host process ended abruptly: a backend's native code (an engine such as llama.cpp or onnxruntime) crashed, or the process was killed\n");
  process.exit(0);
}
process.on('disconnect', hostDied);
// This process runs at the lowest priority: on a busy machine the host may have died before it got
// here, and the channel closed before the listener was there to hear it.
if (!process.connected) hostDied();

if (timeoutMs > 0) {
  setTimeout(() => {
    process.stderr.write(`wacs: guest killed: it ran past the --timeout of ${timeoutMs / 1000} s (blocked where it could not be interrupted)\n`);
    try {
      process.kill(hostPid, 'SIGKILL');
    } catch {
      // already gone
    }
    process.exit(0);
  }, timeoutMs + TIMEOUT_GRACE_MS).unref();
}
