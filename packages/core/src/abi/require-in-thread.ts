/** How Node's guest workers open a backend's in-thread twin (kept apart so in-thread.ts runs in a browser). */
import { createRequire } from 'node:module';
import type { InThreadGraph, InThreadSpec, OpenInThread } from '../backend.js';

/**
 * Loads a backend's in-thread module. Twins open while the guest waits in a wasi:nn call, which
 * rules out `import()`; `require` loads ES modules too (Node >= 20.19). Preparations load their
 * module the same way, so that both get its one instance in the thread.
 */
export const requireInThreadModule: (path: string) => unknown = createRequire(import.meta.url);

export function requireInThread(spec: InThreadSpec): InThreadGraph | undefined {
  const open = (requireInThreadModule(spec.module) as { openInThread?: OpenInThread }).openInThread;
  if (typeof open !== 'function') throw new Error(`${spec.module} exports no openInThread function`);
  return open(spec.init);
}
