// @wacs/backend-testkit on the genai backend, with the tiny GenAI folder from @wacs/fixtures. The
// oracle runs the folder's decoder on onnxruntime directly, recomputing the whole sequence at every
// step (no KV cache, no backend code); the text of ids follows the fixture's vocabulary by hand.
import { jsonTensor, tensorFrom, tensorText, tensorView, textTensor, type NamedTensor } from '@wacs/core/backend';
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import { TINY_BOS, TINY_EOS, TINY_WORDS, writeTinyGenaiFolder } from '@wacs/fixtures';
import { join } from 'node:path';
import { genaiBackend } from '../src/index.js';
import { tempDir, UncachedDecoder } from './helpers.js';

const id = (word: string) => 3 + TINY_WORDS.indexOf(word);
// Decoding skips the special tokens <unk> <s> </s> (ids 0-2).
const words = (ids: number[]) => ids.filter((i) => i >= 3).map((i) => TINY_WORDS[i - 3]).join(' ');
const ids = (values: number[]) => tensorFrom('I64', [1, values.length], BigInt64Array.from(values, BigInt));

function output(outputs: NamedTensor[], name: string): NamedTensor['tensor'] {
  const found = outputs.find((o) => o.name === name);
  if (!found) throw new Error(`no output "${name}"; outputs: ${outputs.map((o) => o.name).join(', ')}`);
  return found.tensor;
}

/** Checks a generation: the oracle's greedy ids, and their words as the response. */
function generated(expected: number[]) {
  if (expected.includes(TINY_EOS)) throw new Error('pick another prompt: the oracle generates </s>, which ends generation early');
  return (outputs: NamedTensor[]) => {
    const got = Array.from(tensorView(output(outputs, 'output_ids')) as BigInt64Array, Number);
    if (got.join() !== expected.join()) throw new Error(`output_ids ${got}, expected ${expected}`);
    const response = tensorText(output(outputs, 'response'));
    if (response !== words(expected)) throw new Error(`response ${JSON.stringify(response)}, expected ${JSON.stringify(words(expected))}`);
  };
}

describeBackendConformance(genaiBackend, async () => {
  const folder = await writeTinyGenaiFolder(join(await tempDir('genai-conformance-'), 'tiny'));
  const oracle = await UncachedDecoder.open(join(folder, 'model.onnx'), {});
  const prompt = [TINY_BOS, id('the'), id('cat'), id('sat')];
  const fromIds = [TINY_BOS, id('dog')];
  const forward = [TINY_BOS, id('sun'), id('moon')];
  const [promptReply, idsReply, lastLogits] = [await oracle.greedy(prompt, 6), await oracle.greedy(fromIds, 5), await oracle.lastLogits(forward)];
  await oracle.release();
  return {
    model: { path: folder, options: { threads: 1 } },
    cases: [
      {
        label: 'a text prompt, 6 new tokens',
        inputs: [{ name: 'prompt', tensor: textTensor('The cat sat') }, { name: 'metadata', tensor: jsonTensor({ max_new_tokens: 6 }) }],
        expect: generated(promptReply),
      },
      {
        label: 'ids by index with generate, 5 new tokens',
        inputs: [{ name: '0', tensor: ids(fromIds) }, { name: '1', tensor: jsonTensor({ generate: true, max_new_tokens: 5 }) }],
        expect: generated(idsReply),
      },
      {
        label: 'ids alone: the logits of one forward pass',
        inputs: [{ name: 'input_ids', tensor: ids(forward) }],
        expect: (outputs) => {
          const logits = output(outputs, 'logits');
          const vocab = lastLogits.length;
          if (logits.type !== 'FP32' || logits.dimensions.join() !== `1,${forward.length},${vocab}`) throw new Error(`logits ${logits.type} [${logits.dimensions}]`);
          const last = (tensorView(logits) as Float32Array).subarray((forward.length - 1) * vocab);
          lastLogits.forEach((v, t) => {
            if (Math.abs(last[t]! - v) > 1e-4 * (1 + Math.abs(v))) throw new Error(`logit ${t} of the last position is ${last[t]}, the oracle's ${v}`);
          });
        },
      },
    ],
    badInputs: [
      { label: 'ids as FP32', inputs: [{ name: 'input_ids', tensor: tensorFrom('FP32', [1, 2], Float32Array.of(1, 2)) }] },
      { label: 'both a prompt and ids', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'input_ids', tensor: ids([TINY_BOS]) }] },
      { label: 'metadata with a bad chat flag', inputs: [{ name: 'prompt', tensor: textTensor('the') }, { name: 'metadata', tensor: jsonTensor({ chat: 'yes' }) }] },
    ],
  };
}, { title: 'genai backend conformance' });
