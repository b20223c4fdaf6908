/**
 * ONNX backend node tests through a guest: runs the `onnx-conformance` guest once over a folder of
 * tests (model.onnx + test_data_set_N/input_N.pb, output_N.pb), with this backend bound. The guest
 * loads each model from its bytes, computes every data set through wasi:nn and compares what came
 * back with output_N.pb at ONNX's tolerances (rtol 1e-3, atol 1e-7); it writes one JSON line per
 * test, which this runner reads as the guest goes.
 */
import { type Backend } from '@wacs/core/backend';
import { BackendRegistry, ModelRegistry, NnHost, runGuest } from '@wacs/core';
import { onnxBackend } from './backend.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NodeTestResult {
  test: string;
  status: 'pass' | 'fail' | 'skip';
  /** Why a test failed or was skipped. */
  reason?: string;
  /** Time in the guest, load included. */
  ms?: number;
}

export interface NodeTestsReport {
  results: NodeTestResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** `N passed, N failed, N skipped`. */
  summary: string;
}

export interface NodeTestsOptions {
  /** The onnx-conformance guest (default: guests/dist/onnx-conformance.wasm of this repository). */
  guest?: string;
  /** Run only these tests (folder names). */
  only?: string[];
  /** Called for each result as the guest reports it. */
  onResult?: (result: NodeTestResult) => void;
  /** Kill the guest after this long (default: 10 minutes). */
  timeoutMs?: number;
  /** The backend to bind (default: this package's). */
  backend?: Backend;
}

/** Where the repository builds the guest, from src/ or dist/ of this package. */
export const defaultNodeTestsGuest = fileURLToPath(new URL('../../../guests/dist/onnx-conformance.wasm', import.meta.url));

export function formatNodeTestResult(r: NodeTestResult): string {
  const time = r.ms === undefined ? '' : ` (${r.ms} ms)`;
  return `${r.status.toUpperCase()} ${r.test}${r.reason ? `: ${r.reason.trim().replace(/\s*\n\s*/g, ' ')}` : time}`;
}

async function testFolders(dir: string, only: string[] | undefined): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'model.onnx')) && (!only || only.includes(e.name)))
    .map((e) => e.name)
    .sort();
}

/** Reads complete JSON lines the guest appended since the last call. */
class ResultsReader {
  private consumed = 0;
  constructor(private readonly path: string) {}

  async next(): Promise<NodeTestResult[]> {
    const text = await readFile(this.path, 'utf8').catch(() => '');
    const end = text.lastIndexOf('\n') + 1;
    if (end <= this.consumed) return [];
    const lines = text.slice(this.consumed, end).split('\n').filter(Boolean);
    this.consumed = end;
    return lines.map((line) => JSON.parse(line) as NodeTestResult);
  }
}

export async function runOnnxNodeTests(dir: string, options: NodeTestsOptions = {}): Promise<NodeTestsReport> {
  const root = resolve(dir);
  const tests = await testFolders(root, options.only);
  const guestPath = options.guest ?? defaultNodeTestsGuest;
  if (!existsSync(guestPath)) throw new Error(`the onnx-conformance guest is not built: ${guestPath} (cd guests && node build.mjs onnx-conformance)`);
  const wasm = new Uint8Array(await readFile(guestPath));
  const out = await mkdtemp(join(tmpdir(), 'wacs-onnx-node-tests-'));
  const backends = new BackendRegistry();
  backends.register(options.backend ?? onnxBackend);
  const host = new NnHost(backends, new ModelRegistry());
  const reader = new ResultsReader(join(out, 'results.jsonl'));
  const results: NodeTestResult[] = [];
  const take = async () => {
    for (const r of await reader.next()) {
      results.push(r);
      options.onResult?.(r);
    }
  };
  const poll = setInterval(() => void take(), 250);
  let run;
  try {
    const args = ['/tests', '--results', '/out/results.jsonl', ...(options.only ? ['--only', tests.join(',')] : [])];
    run = await runGuest(wasm, host, {
      programName: 'onnx-conformance',
      args,
      dirs: [
        { host: root, guest: '/tests' },
        { host: out, guest: '/out' },
      ],
      timeoutMs: options.timeoutMs ?? 600_000,
    });
  } finally {
    clearInterval(poll);
    await host.dispose();
  }
  await take();
  await rm(out, { recursive: true, force: true });
  // A guest that died mid-run leaves tests unreported: they failed.
  const reported = new Set(results.map((r) => r.test));
  for (const test of tests.filter((t) => !reported.has(t))) {
    const r: NodeTestResult = { test, status: 'fail', reason: `not reported: the guest ended with exit code ${run.exitCode}${run.error ? ` (${run.error})` : ''}` };
    results.push(r);
    options.onResult?.(r);
  }
  const count = (status: NodeTestResult['status']) => results.filter((r) => r.status === status).length;
  const passed = count('pass');
  const failed = count('fail');
  const skipped = count('skip');
  return { results, passed, failed, skipped, summary: `${passed} passed, ${failed} failed, ${skipped} skipped` };
}
