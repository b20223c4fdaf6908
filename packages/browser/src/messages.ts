/** What the page and a guest's worker say to each other (besides the bridge's shared memory). */
import type { BridgeMemory } from './bridge.js';

export interface WorkerSetup {
  /** Absolute URL of the jco-transpiled guest module (`instantiation: 'async'`); its core modules sit beside it. */
  guestUrl: string;
  args: string[];
  env: Record<string, string>;
  /** The guest's file system, preopened at `/`: relative paths to contents. */
  files: Record<string, Uint8Array | string>;
  /** The guest's standard input, all of it (then end of file). */
  stdin: Uint8Array;
  bridge: BridgeMemory;
}

export type FromWorker =
  | { type: 'stdout' | 'stderr'; bytes: Uint8Array }
  | { type: 'exit'; exitCode: number }
  | { type: 'fatal'; message: string };
