// The GGUF structure check that runs before node-llama-cpp parses a file: clear errors for files it
// must refuse, and a bounded walk for headers that claim more than the file holds.
import { tinyLlamaGguf, writeGguf } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGguf } from '../src/gguf-check.js';

const dir = mkdtempSync(join(tmpdir(), 'gguf-check-'));
function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function failure(path: string): Promise<{ code: string; message: string }> {
  return checkGguf(path).then(
    () => {
      throw new Error('expected the check to fail');
    },
    (e: { code: string; message: string }) => e,
  );
}

describe('checkGguf', () => {
  it('accepts the tiny llama, counting its tensors and metadata', async () => {
    // 3 global tensors + 9 per block; 20 metadata entries without a chat template.
    expect(await checkGguf(file('tiny.gguf', tinyLlamaGguf({ blocks: 2 })))).toEqual({ version: 3, tensorCount: 3 + 2 * 9, metadataCount: 20 });
  });

  it('refuses what llama.cpp cannot load, with the reason', async () => {
    expect(await failure(file('onnx.gguf', new Uint8Array([0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74])))).toMatchObject({
      code: 'invalid-encoding',
      message: expect.stringContaining('not a GGUF model'),
    });
    expect(await failure(file('v1.gguf', tinyLlamaGguf({ version: 1 })))).toMatchObject({
      code: 'invalid-encoding',
      message: expect.stringContaining('GGUF version 1 is not supported'),
    });
    const model = tinyLlamaGguf();
    expect((await failure(file('cut.gguf', model.subarray(0, 3000)))).message).toMatch(/runs past the end of the file|more than the file holds/);
    expect(await failure(join(dir, 'missing.gguf'))).toMatchObject({ code: 'not-found' });
  });

  it('stops at counts and lengths the file cannot hold (node-llama-cpp would allocate for them)', async () => {
    const garbage = new Uint8Array(64);
    garbage.set(new TextEncoder().encode('GGUF'));
    new DataView(garbage.buffer).setUint32(4, 3, true);
    garbage.fill(0x67, 8);
    expect((await failure(file('garbage.gguf', garbage))).message).toContain('more than the file holds');

    // One string array claiming 2^40 items.
    const huge = writeGguf({ metadata: { 'x.list': { type: 'array', itemType: 'string', values: ['a'] } }, tensors: [] });
    // Header (4 + 4 + 8 + 8), key (8 + 6), value type (4), item type (4): the item count is at 46.
    new DataView(huge.buffer).setBigUint64(46, 2n ** 40n, true);
    expect((await failure(file('huge.gguf', huge))).message).toContain('claims 1099511627776 items');
  });
});
