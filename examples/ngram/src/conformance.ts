/**
 * Conformance fixtures for @wacs/backend-testkit (package.json "wacs.conformance"; the vitest test
 * uses them too). The corpus is small enough to work the answers out by hand:
 *
 *   the cat sat on the mat . the cat ran to the dog . the dog sat
 *
 *   the → cat 2, dog 2, mat 1 (tie: cat)   cat → ran 1, sat 1 (tie: ran)   ran → to 1   to → the 1
 *   dog → . 1, sat 1 (tie: ".")            . → the 2                      mat → . 1    sat → on 1
 */
import { jsonTensor, tensorFrom, textTensor, type NamedTensor } from '@wacs/core/backend';
import type { ConformanceFixtures } from '@wacs/backend-testkit';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAGIC } from './model.js';

export const STORY = 'the cat sat on the mat . the cat ran to the dog . the dog sat';

export function storyModel(): Uint8Array {
  return new TextEncoder().encode(`${MAGIC}${STORY}\n`);
}

function expected(text: string, counts: number[]): NamedTensor[] {
  return [
    { name: 'text', tensor: textTensor(text) },
    { name: 'counts', tensor: tensorFrom('I32', [counts.length], Int32Array.from(counts)) },
  ];
}

export default async function fixtures(): Promise<ConformanceFixtures> {
  const path = join(await mkdtemp(join(tmpdir(), 'ngram-')), 'story.ngram');
  await writeFile(path, storyModel());
  return {
    model: { bytes: storyModel(), path },
    cases: [
      {
        label: '"the", 4 words',
        inputs: [{ name: 'prompt', tensor: textTensor('The') }, { name: 'metadata', tensor: jsonTensor({ n_predict: 4 }) }],
        expect: expected(' cat ran to the', [2, 1, 1, 1]),
      },
      {
        label: '"a dog" by index, 3 words',
        inputs: [{ name: '0', tensor: textTensor('a dog') }, { name: '1', tensor: jsonTensor({ n_predict: 3 }) }],
        expect: expected(' . the cat', [1, 2, 2]),
      },
      {
        label: '"mat", the default 8 words',
        inputs: [{ name: 'prompt', tensor: textTensor('mat') }],
        expect: expected(' . the cat ran to the cat ran', [1, 2, 2, 1, 1, 1, 2, 1]),
      },
      { label: 'a word nothing follows', inputs: [{ name: 'prompt', tensor: textTensor('zebra') }], expect: expected('', []) },
    ],
    badInputs: [
      { label: 'prompt as I32', inputs: [{ name: 'prompt', tensor: tensorFrom('I32', [1], Int32Array.of(7)) }] },
      { label: 'a prompt of spaces', inputs: [{ name: 'prompt', tensor: textTensor('   ') }] },
      { label: 'metadata with a wrong type', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'metadata', tensor: jsonTensor({ n_predict: 'two' }) }] },
      { label: 'metadata that is not JSON', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'metadata', tensor: textTensor('{n_predict: 2') }], code: 'invalid-encoding' },
    ],
  };
}
