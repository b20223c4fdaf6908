// Real GGUF models from ../shared (skipped, saying why, when it is absent). Oracles: the shared
// README's known results, and node-llama-cpp called directly on the same file.
import { guest, repoRoot, runWacs, sharedModel } from '@wacs/fixtures';
import { tensorView } from '@wacs/core/backend';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directCompletion, hostWith, outputText, request } from './helpers.js';

const stories = sharedModel('gguf/stories260K.gguf');
const storiesV1 = sharedModel('gguf/stories260K-ggufv1.gguf');
const tinyRandom = sharedModel('gguf/llama-2-tiny-random.gguf');
const backendDir = join(repoRoot, 'packages/backend-llama');
/** The shared README's greedy continuation of "Once upon a time". */
const KNOWN = ', there was a little girl named Lily. She loved to play outside in the p';

describe.skipIf(!stories || !storiesV1)('stories260K through wacs run and the llm-chat guest', () => {
  it('continues "Once upon a time" greedily as the README says', async () => {
    const r = await runWacs([
      'run', guest('llm-chat'), '--bind', backendDir, '--model', `stories=${stories},threads=1`,
      '--', '--model', 'stories', '--raw', '--set', 'temp=0', '--set', 'n-predict=40', 'Once upon a time',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(KNOWN)).toBe(true);
  });

  it('refuses the GGUF v1 copy with a clear error', async () => {
    const r = await runWacs(['run', guest('llm-chat'), '--bind', backendDir, '--model', `v1=${storiesV1}`, '--', '--model', 'v1', 'Once upon a time']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('wasi-nn error invalid-encoding: GGUF version 1 is not supported by llama.cpp');
  });
});

describe.skipIf(!stories || !tinyRandom)('real GGUF models through the host', () => {
  const host = hostWith({
    stories: { path: stories!, options: { threads: 1 } },
    random: { path: tinyRandom!, options: { threads: 1, 'ctx-size': 256 } },
  });
  const session = host.session();
  afterAll(() => host.dispose());

  it('gives node-llama-cpp\'s greedy text on stories260K (F32) and llama-2-tiny-random (F16, 32k vocabulary)', async () => {
    for (const [name, path] of [['stories', stories!], ['random', tinyRandom!]] as const) {
      const context = await session.initContext(await session.loadByName(name));
      const ours = outputText(await session.compute(context, request('Once upon a time', { temp: 0, 'repeat-penalty': 1, 'n-predict': 32 })));
      const direct = await directCompletion(path, 'Once upon a time', { temperature: 0, maxTokens: 32, repeatPenalty: false }, name === 'stories' ? 512 : 256);
      expect(ours, name).toBe(direct.text);
    }
  });

  it('embeds with stories260K\'s dimension (n_embd 64)', async () => {
    const context = await session.initContext(await session.loadByName('stories'));
    const outputs = await session.compute(context, request('Lily', { embedding: true }));
    expect(tensorView(outputs.find((o) => o.name === 'embedding')!.tensor)).toHaveLength(64);
  });
});
