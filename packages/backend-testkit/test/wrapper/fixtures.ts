/** Doubler fixtures for the vitest wrapper tests (y = 3x, by hand). */
import { tensorFrom } from '@wacs/core/backend';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformanceFixtures } from '../../src/index.js';
import { doublerModel } from '../doubler.js';

export async function doublerFixtures(): Promise<ConformanceFixtures> {
  const path = join(await mkdtemp(join(tmpdir(), 'testkit-wrapper-')), 'model.dbl');
  await writeFile(path, doublerModel(3));
  return {
    model: { bytes: doublerModel(3), path },
    cases: [{ inputs: [{ name: 'x', tensor: tensorFrom('FP32', [2], Float32Array.of(1, 2)) }], expect: [{ name: 'y', tensor: tensorFrom('FP32', [2], Float32Array.of(3, 6)) }] }],
  };
}
