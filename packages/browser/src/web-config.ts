/** What the `wacs web` server tells its page (config.json), and what the page reports back (window.wacsResult). */
import type { ModelSpec } from '@wacs/core/browser';
import type { RunGuestResult } from './index.js';

export interface WebConfig {
  /** `jspiUrl`: the guest transpiled for JSPI, which lets its worker host the backends (see runGuest). */
  guest: { name: string; url: string; jspiUrl?: string; bytes: number };
  args: string[];
  /** Named models: `spec` is the model spec from `--model` with its path made a URL on the server. */
  models: Record<string, { spec: ModelSpec; file: string; bytes: number }>; // file: the model's file name
  /** The guest's file system (from `--dir`): the path the guest sees (absolute), where to fetch it. */
  files: Array<{ path: string; url: string; bytes: number }>;
  /** The guest's standard input (from `--stdin`), where to fetch it. */
  stdin?: { url: string; bytes: number };
  /** Browser backend modules: each exports a default `Backend` and optionally `configure({ assetsUrl })`. */
  backends: Array<{ package: string; url: string; assetsUrl?: string }>;
  timeoutMs?: number;
}

export interface WebResult extends Omit<RunGuestResult, 'nn'> {
  /** Where wasi:nn was answered (absent when the page failed before running the guest). */
  nn?: RunGuestResult['nn'];
  stdout: string;
  stderr: string;
  /** How many pieces stdout arrived in (a streamed answer comes in many). */
  stdoutPieces: number;
  /** From the start of the guest's worker to its exit. */
  ms: number;
  /** Which backend loaded which model (model name, or `(bytes)` for a guest's own load). */
  loads: Array<{ backend: string; model: string; target: string }>;
}
