// @wacs/backend-testkit on the llama backend, with the tiny GGUF from @wacs/fixtures (bytes and a
// file). The oracle is node-llama-cpp's own greedy completion on the same file.
import { jsonTensor, tensorFrom, tensorJson, tensorText, textTensor, type NamedTensor } from '@wacs/core/backend';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { readFile } from 'node:fs/promises';
import { llamaBackend } from '../src/index.js';
import { directCompletion, tinyModelFile } from './helpers.js';

/** Greedy, no repeat penalty: what the oracle's completion does. */
const GREEDY = { temp: 0, 'repeat-penalty': 1 };

function completed(expected: { text: string; tokens: number }) {
  return (outputs: NamedTensor[]) => {
    if (outputs[0]?.name !== '0' || outputs[1]?.name !== '1') throw new Error(`outputs ${outputs.map((o) => o.name)}: "0" (text) and "1" (metadata) come first`);
    const text = tensorText(outputs[0].tensor);
    if (text !== expected.text) throw new Error(`text ${JSON.stringify(text)}, node-llama-cpp's ${JSON.stringify(expected.text)}`);
    const metadata = tensorJson(outputs[1].tensor, 'output 1');
    if (metadata.output_tokens !== expected.tokens) throw new Error(`metadata output_tokens ${String(metadata.output_tokens)}, expected ${expected.tokens}`);
  };
}

describeBackendConformance(llamaBackend, async () => {
  const path = tinyModelFile();
  const first = await directCompletion(path, 'the cat sat', { temperature: 0, maxTokens: 6 }, 128);
  const second = await directCompletion(path, 'hello world', { temperature: 0, maxTokens: 4 }, 128);
  return {
    model: { bytes: new Uint8Array(await readFile(path)), path, options: { threads: 1, 'ctx-size': 128 } },
    cases: [
      {
        label: 'prompt and metadata by index, 6 tokens',
        inputs: [{ name: '0', tensor: textTensor('the cat sat') }, { name: '1', tensor: jsonTensor({ ...GREEDY, 'n-predict': 6 }) }],
        expect: completed(first),
      },
      {
        label: 'prompt and metadata by name, 4 tokens',
        inputs: [{ name: 'prompt', tensor: textTensor('hello world') }, { name: 'metadata', tensor: jsonTensor({ ...GREEDY, 'n-predict': 4 }) }],
        expect: completed(second),
      },
    ],
    badInputs: [
      { label: 'prompt as FP32', inputs: [{ name: 'prompt', tensor: tensorFrom('FP32', [1], Float32Array.of(1)) }] },
      { label: 'metadata with a wrong type', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'metadata', tensor: jsonTensor({ 'n-predict': 'two' }) }] },
      { label: 'metadata that is not JSON', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'metadata', tensor: textTensor('{"temp": ') }], code: 'invalid-encoding' },
    ],
  };
}, { title: 'llama backend conformance' });
