/**
 * wacs's passes over the bindings jco writes (guest.js), made once when a component is
 * transpiled. BINDINGS_REVISION, in the cache key and the artifact header, tells bindings made
 * before a change to these passes.
 *   - unshareListCopies (guest-memory-sharing.ts): copies out of a shared guest memory are plain ArrayBuffers.
 *   - debugLogReadOnce: jco's `_debugLog`, called several times in every import and export call,
 *     reads `process.env.JCO_DEBUG` on each call; in a worker that is a lookup in the process's
 *     environment, about 4% of a TypeScript guest's time computing in a loop. It is read once,
 *     as the bindings load.
 *   - resettableBindings (bindings-reset.ts): the instance's exports carry a function that puts
 *     the bindings' state back as instantiation left it (`wacs serve`'s instance reset).
 */
import { resettableBindings } from './bindings-reset.js';
import { unshareListCopies } from './guest-memory-sharing.js';

export const BINDINGS_REVISION = 4;

/** jco 1.15.4's `_debugLog`, exactly. */
const DEBUG_LOG = `const _debugLog = (...args) => {
  if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
  console.debug(...args);
}`;

/** The same logging, with JCO_DEBUG read once; bindings without jco's exact text are left as they are. */
export function debugLogReadOnce(bindings: string): string {
  return bindings.replace(DEBUG_LOG, 'const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};');
}

/** Every pass, in order. */
export function rewriteBindings(bindings: string): string {
  return resettableBindings(debugLogReadOnce(unshareListCopies(bindings)));
}
