/** How Node's guest workers open a backend's in-thread twin (kept apart so in-thread.ts runs in a browser). */
import { createRequire } from 'node:module';
import type { InThreadGraph, InThreadSpec, OpenInThread } from '../backend.js';

/**
 * Loads a backend's in-thread module while the guest waits in a wasi:nn call, which rules out
 * `import()`; `require` loads ES modules too (Node >= 20.19).
 */
const requireModule = createRequire(import.meta.url);
export function requireInThread(spec: InThreadSpec): InThreadGraph | undefined {
  const open = (requireModule(spec.module) as { openInThread?: OpenInThread }).openInThread;
  if (typeof open !== 'function') throw new Error(`${spec.module} exports no openInThread function`);
  return open(spec.init);
}
