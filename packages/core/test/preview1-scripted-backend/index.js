// A scripted "language model" for the preview1 streaming tests (GGML encoding, .gguf files): its
// completion of a prompt is the prompt's words in reverse order, one token (" word") per step, so
// a test can compute the expected tokens itself. `n-predict` (graph config or the JSON metadata at
// input 1) caps the tokens; a prompt word "overflow" fails that step with context_full.
import { jsonTensor, NnError, tensorJson, tensorText, textTensor } from '../../dist/index.js';

const KNOWN_OPTIONS = ['n-predict', 'temp', 'threads'];

function checkOptions(options, what) {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) throw new NnError('invalid-argument', `${what}: unknown option "${key}"`);
  }
}

function plan(graphOptions, inputs) {
  const prompt = inputs.find((i) => i.name === '0');
  if (!prompt) throw new NnError('invalid-argument', 'input 0 (the prompt) is missing');
  const metadata = inputs.find((i) => i.name === '1');
  const options = { ...graphOptions, ...(metadata ? tensorJson(metadata.tensor, 'input 1 (metadata)') : {}) };
  checkOptions(options, 'metadata');
  const words = tensorText(prompt.tensor).split(/\s+/).filter(Boolean);
  const limit = typeof options['n-predict'] === 'number' ? options['n-predict'] : Infinity;
  return { words, tokens: [...words].reverse().slice(0, limit) };
}

function outputs(words, emitted) {
  return [
    { name: '0', tensor: textTensor(emitted.map((w) => ` ${w}`).join('')) },
    { name: '1', tensor: jsonTensor({ input_tokens: words.length, output_tokens: emitted.length }) },
  ];
}

function step(word) {
  if (word === 'overflow') throw new NnError('runtime-error', 'the context is full', 'context-full');
}

export default {
  name: 'scripted',
  encodings: ['ggml'],
  detect: (probe) => probe.format === 'gguf',
  async load(request) {
    checkOptions(request.options, 'config');
    return {
      createContext: () => ({
        async compute(inputs) {
          const { words, tokens } = plan(request.options, inputs);
          tokens.forEach(step);
          return outputs(words, tokens);
        },
        async *stream(inputs) {
          const { words, tokens } = plan(request.options, inputs);
          const emitted = [];
          for (const word of tokens) {
            step(word);
            emitted.push(word);
            yield [{ name: '0', tensor: textTensor(` ${word}`) }, outputs(words, emitted)[1]];
          }
          return outputs(words, emitted);
        },
        dispose() {},
      }),
      dispose() {},
    };
  },
};
