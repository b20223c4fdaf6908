/**
 * Probing the installed backends (`wacs backends`): each is imported and asked for its encodings and
 * hardware. Engines print their own diagnostics while they probe, from native code straight to the
 * process's stdout and stderr (onnxruntime's WebGPU EP: "Warning: Couldn't load Vulkan …"), which no
 * JavaScript hook can catch. So the probe runs in a child process (probe-child.ts) that sends its
 * result on a pipe of its own (fd 3): whatever arrives on the child's stdout and stderr is engine
 * output, kept apart from wacs's table and shown only when asked (`--verbose`).
 */
import type { HardwareVariant, OptionDescription } from '@wacs/core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { discoverBackends, importBackend } from './discover.js';

export interface BackendRow {
  package: string;
  version: string;
  name?: string;
  encodings?: string[];
  priority: number;
  hardware?: HardwareVariant[];
  /** The options it takes, from its option spec. */
  options?: OptionDescription[];
  error?: string;
}

/** Probes every installed backend in this process (engine output goes wherever the engine writes it). */
export async function probeBackendsHere(): Promise<BackendRow[]> {
  const rows: BackendRow[] = [];
  for (const pkg of discoverBackends()) {
    const row: BackendRow = { package: pkg.package, version: pkg.version, priority: pkg.priority };
    try {
      const backend = await importBackend(pkg);
      row.name = backend.name;
      row.encodings = [...backend.encodings];
      row.options = backend.options?.describe() ?? [];
      row.hardware = (await backend.hardware?.()) ?? [];
    } catch (e) {
      row.error = (e as Error).message;
    }
    rows.push(row);
  }
  return rows;
}

export interface ProbeResult {
  rows: BackendRow[];
  /** What the engines printed while probing, stdout and stderr interleaved as they arrived. */
  engineOutput: string;
}

/** Probes every installed backend in a child process (same cwd and environment), capturing engine output. */
export function probeBackends(): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./probe-child.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let engineOutput = '';
    let result = '';
    child.stdout!.on('data', (d: Buffer) => (engineOutput += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (engineOutput += d.toString()));
    child.stdio[3]!.on('data', (d: Buffer) => (result += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && result) {
        resolve({ rows: JSON.parse(result) as BackendRow[], engineOutput });
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`probing the installed backends failed: the probe process ${how} (a backend's native code crashed?)${engineOutput ? `; it printed:\n${engineOutput.trimEnd()}` : ''}`));
    });
  });
}
