/**
 * Where a model's file is. llama.cpp loads models from files (memory-mapped), so model bytes from a
 * guest are written to a private temporary file: a folder only this user can read, removed as soon
 * as the model has loaded (the mapping outlives the name on POSIX), or else when the graph is
 * disposed or the process exits.
 */
import type { ModelSource } from '@wacs/core/backend';
import { NnError } from '@wacs/core/backend';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pendingRemoval = new Set<string>();
let exitHookInstalled = false;

function removeOnExit(dir: string): void {
  pendingRemoval.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of pendingRemoval) rmSync(d, { recursive: true, force: true });
  });
}

export interface ModelFile {
  path: string;
  /** Removes the file if it is temporary; safe to call more than once. */
  release(): Promise<void>;
}

export async function modelFile(source: ModelSource): Promise<ModelFile> {
  if (source.kind === 'path') return { path: source.path, release: async () => {} };
  if (source.builders.length !== 1) {
    throw new NnError('invalid-argument', `a GGUF model is one graph builder (the .gguf file's bytes), got ${source.builders.length}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'wacs-gguf-'));
  removeOnExit(dir);
  const path = join(dir, 'model.gguf');
  const release = async () => {
    try {
      await rm(dir, { recursive: true, force: true });
      pendingRemoval.delete(dir);
    } catch {
      // Still in use (Windows keeps mapped files): the exit hook removes it.
    }
  };
  try {
    await writeFile(path, source.builders[0]!, { mode: 0o600 });
  } catch (e) {
    await release();
    throw new NnError('runtime-error', `cannot write the guest's model to a temporary file: ${(e as Error).message}`);
  }
  return { path, release };
}
