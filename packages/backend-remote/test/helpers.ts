/**
 * Test helpers: the backends' folders for `wacs run --bind`, temporary files, and a host with the
 * remote backend bound (for in-process checks of what the guest would see).
 */
import { BackendRegistry, ModelRegistry, NnHost, type Options } from '@wacs/core';
import { repoRoot } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remoteBackend } from '../src/index.js';

export const remoteDir = join(repoRoot, 'packages/backend-remote');
export const onnxDir = join(repoRoot, 'packages/backend-onnx');
export const llamaDir = join(repoRoot, 'packages/backend-llama');

export function tempFile(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wacs-remote-test-')), name);
  writeFileSync(path, bytes);
  return path;
}

/** A host with only the remote backend bound and `models` registered (URL and options). */
export function remoteHost(models: Record<string, { url: string; options: Options }>): NnHost {
  const backends = new BackendRegistry();
  backends.register(remoteBackend);
  const registry = new ModelRegistry();
  for (const [name, spec] of Object.entries(models)) registry.add(name, { path: spec.url, backend: 'remote', options: spec.options });
  return new NnHost(backends, registry, { log: () => {} });
}
