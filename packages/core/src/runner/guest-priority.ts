/**
 * `wacs serve`'s guest threads run below the host thread's CPU priority. The host thread runs the
 * engines every guest shares and the HTTP side; when it wakes a guest's thread with a reply, Linux
 * lets a woken thread of equal priority preempt it, so with more threads than cores (eight serving
 * guests on two) the engine's loop stalls behind guest code at every token. A lower priority keeps
 * the host running; a guest still gets every core the host leaves idle. (`wacs run`, one guest
 * thread, measured no difference and keeps the host's priority.)
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice 10: enough that a woken guest rarely preempts the host (nice 0), not so low that other work on the machine starves it. */
export const GUEST_NICE = 10;

/**
 * Lowers the calling worker thread's priority to GUEST_NICE. Linux gives each thread its own nice
 * value (set through its thread id); elsewhere a nice value is the whole process's, so this does
 * nothing there. Threads this thread starts later inherit it.
 */
export function lowerGuestThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (threadId !== process.pid) setPriority(threadId, GUEST_NICE);
  } catch {
    // No /proc, or not permitted: the guest keeps the priority it was started with.
  }
}
