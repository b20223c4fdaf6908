// Shared pieces of the hardening tests: the hostile guests, the backends as built packages, the
// linear model every guest computes with (and its hand-computed oracle), and small WAT modules.
import { linearModel, repoRoot, wacsBin, type WacsResult } from '@wacs/fixtures';
import { spawn } from 'node:child_process';
import type { Backend, ExecutionContext, Graph, LoadRequest } from '@wacs/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The preview1 fuzzer/misuse guest (Rust, committed; see guests/fuzz-preview1). */
export const fuzzPreview1 = join(repoRoot, 'guests/fuzz-preview1/bin/fuzz-preview1.wasm');
/** The component that tries TCP, UDP, DNS and HTTP (see guests/fuzz-net). */
export const netProbe = join(repoRoot, 'guests/fuzz-net/net-probe.wasm');

export const BACKENDS = ['onnx', 'llama', 'genai', 'tfjs', 'classic'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const backendDir = (name: BackendName) => join(repoRoot, 'packages', `backend-${name}`);
export const bind = (...names: BackendName[]) => names.flatMap((n) => ['--bind', backendDir(n)]);

/** A backend package's default export, from its built dist (as `wacs run --bind` loads it). */
export async function importBackend(name: BackendName): Promise<Backend> {
  const module = (await import(pathToFileURL(join(backendDir(name), 'dist/index.js')).href)) as { default: Backend };
  return module.default;
}

// y = x · W + b, computed by hand: the oracle for every guest that computes on the linear model.
export const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
export const B = [0.5, -1];
/** y for each row of x (3 values per row), in float32 as the engine computes it. */
export function linear(rows: number[][]): number[] {
  return rows.flatMap((row) => B.map((bias, j) => Math.fround(row.reduce((sum, v, k) => Math.fround(sum + Math.fround(v * W[k]![j]!)), bias))));
}
export const LINEAR_MODEL = () => linearModel(W, B);

/** A fresh temp folder holding lin.onnx; returns the folder and the `--model lin=…` arguments. */
export function linearModelDir(prefix: string): { dir: string; model: string; models: string[] } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const model = join(dir, 'lin.onnx');
  writeFileSync(model, LINEAR_MODEL());
  return { dir, model, models: ['--model', `lin=${model}`] };
}

/**
 * Runs `wacs <args>` like fixtures' runWacs, but in its own process group with a kill timer well
 * under the test timeout: a hung host (and any process it started, such as its watcher
 * of `wacs run`) is killed as a group, so it fails the test instead of stalling the suite.
 */
export function wacs(args: string[], options: { stdin?: string | Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<WacsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wacsBin, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** What a run's exit looked like: a code, or the signal that killed the host. */
export function exitOf(result: WacsResult): string {
  return result.code === null ? 'killed by a signal (the host crashed or hung)' : `exit ${result.code}`;
}

/** Assembles WebAssembly text with jco (a dependency of @wacs/core). */
export async function wat(text: string): Promise<Uint8Array> {
  const require = createRequire(join(repoRoot, 'packages/core/package.json'));
  const jco = (await import(pathToFileURL(require.resolve('@bytecodealliance/jco')).href)) as { parse(text: string): Promise<Uint8Array> };
  return jco.parse(text);
}

/** The wasi:nn errno values a preview1 guest may ever see (witx plus WasmEdge's 100-103). */
export const WITX_ERRNO_NAMES = [
  'success',
  'invalid_argument',
  'invalid_encoding',
  'missing_memory',
  'busy',
  'runtime_error',
  'unsupported_operation',
  'too_large',
  'not_found',
  'end_of_sequence',
  'context_full',
  'prompt_too_long',
  'model_not_found',
];

/** Counts what a backend holds: graphs loaded and not disposed, contexts made and not disposed. */
export interface Census {
  loads: LoadRequest[];
  liveGraphs: number;
  /** Of `liveGraphs`, those loaded from guest bytes (a session's own, never the host's). */
  liveBytesGraphs: number;
  liveContexts: number;
}

/** Wraps a backend so a test can see every load request and what is still alive. */
export function counted(backend: Backend): { backend: Backend; census: Census } {
  const census: Census = { loads: [], liveGraphs: 0, liveBytesGraphs: 0, liveContexts: 0 };
  const wrapped: Backend = {
    ...backend,
    name: backend.name,
    encodings: backend.encodings,
    async load(request) {
      census.loads.push(request);
      const graph = await backend.load(request);
      const fromBytes = request.source.kind === 'bytes' ? 1 : 0;
      census.liveGraphs++;
      census.liveBytesGraphs += fromBytes;
      let disposed = false;
      const countedGraph: Graph = {
        async createContext() {
          const context = await graph.createContext();
          census.liveContexts++;
          let closed = false;
          const countedContext: ExecutionContext = {
            compute: (inputs) => context.compute(inputs),
            async dispose() {
              if (!closed) census.liveContexts--;
              closed = true;
              await context.dispose();
            },
          };
          if (context.stream) countedContext.stream = (inputs) => context.stream!(inputs);
          return countedContext;
        },
        async dispose() {
          if (!disposed) {
            census.liveGraphs--;
            census.liveBytesGraphs -= fromBytes;
          }
          disposed = true;
          await graph.dispose();
        },
      };
      return countedGraph;
    },
  };
  return { backend: wrapped, census };
}
