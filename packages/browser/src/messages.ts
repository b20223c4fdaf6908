/** What the page and a guest's worker say to each other (besides the bridge's shared memory). */
import type { HardwareVariant } from '@wacs/core/backend';
import type { ModelSpec } from '@wacs/core/browser';
import type { BridgeMemory } from './bridge.js';

/** A backend the worker imports: an ES module whose default export is a `Backend`. */
export interface BackendModule {
  /** Absolute URL of the module. */
  url: string;
  priority: number;
  /** Given to the module's `configure`, when it has one (with `stdout` added: the guest's stdout). */
  settings?: Record<string, unknown>;
}

/**
 * How the guest reaches wasi:nn: through the bridge to the page (the worker blocks in
 * `Atomics.wait` while the page runs the backends), or from backends the worker loads itself,
 * awaited through JSPI with no thread in between.
 */
export type NnSetup = { kind: 'bridge'; memory: BridgeMemory } | { kind: 'in-worker'; backends: BackendModule[]; models: Record<string, ModelSpec> };

export interface WorkerSetup {
  /** Absolute URL of the jco-transpiled guest module (`instantiation: 'async'`, JSPI for `in-worker`); its core modules sit beside it. */
  guestUrl: string;
  args: string[];
  env: Record<string, string>;
  /** The guest's file system, preopened at `/`: relative paths to contents. */
  files: Record<string, Uint8Array | string>;
  /** The guest's standard input, all of it (then end of file). */
  stdin: Uint8Array;
  nn: NnSetup;
}

/** A model load, as the page shows it: which backend took which model. */
export interface LoadReport {
  backend: string;
  model: string;
  target: string;
}

/** A backend the worker loaded, for the page to show. */
export interface BackendReport {
  name: string;
  variants: HardwareVariant[];
}

export type FromWorker =
  | { type: 'stdout' | 'stderr'; bytes: Uint8Array }
  | { type: 'load'; load: LoadReport }
  | { type: 'backends'; backends: BackendReport[] }
  | { type: 'exit'; exitCode: number }
  | { type: 'fatal'; message: string };
