// `pnpm demo`: runs every example guest against its backend, with models this project makes itself
// (so it works on a fresh clone), then with the real models in ../shared/models when that folder
// is there. Prints, for each run: guest, backend, model, result and time.
import { trainIrisModel } from '@wacs/backend-classic/demo';
import { trainXorModel } from '@wacs/backend-tfjs/demo';
import { guest, linearModel, runWacs, sharedModels, tinyLlamaGguf, writeTinyGenaiFolder } from '@wacs/fixtures';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'wacs-demo-'));
const shared = existsSync(sharedModels);
const firstLine = (out) => out.trim().split('\n')[0] ?? '';
const oneLine = (out) => out.trim().replace(/\s*\n\s*/g, ' | ');

/**
 * One guest + backend + model. `weights`: 'real' (a trained model), 'trained here' (trained by this
 * demo in seconds), 'hand-set' (fixed by hand), or 'random' (the path works; the output means nothing).
 */
const demos = [
  {
    guest: 'nn-compute',
    backend: '@wacs/backend-onnx',
    model: 'linear.onnx, generated: y = x·W + b',
    weights: 'hand-set',
    prepare() {
      const path = join(work, 'linear.onnx');
      writeFileSync(path, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
      return { args: ['--model', `linear=${path}`, '--', 'linear', 'x=FP32:1x3:1,2,3'] };
    },
    result: firstLine,
  },
  {
    guest: 'xor-mlp',
    backend: '@wacs/backend-tfjs',
    model: 'XOR MLP 2-8-1, trained with tfjs by this demo',
    weights: 'trained here',
    async prepare() {
      await trainXorModel(join(work, 'xor'));
      return { args: ['--model', `xor=${join(work, 'xor')}`, '--', 'xor'] };
    },
    result: oneLine,
  },
  {
    guest: 'iris-classify',
    backend: '@wacs/backend-classic',
    model: 'Iris random forest (ml.js), trained by this demo',
    weights: 'trained here',
    async prepare() {
      const iris = await trainIrisModel(join(work, 'iris'));
      const rows = readFileSync(iris.csvPath, 'utf8').trim().split('\n');
      // one row of each species, with the header
      return { args: ['--model', iris.modelArg('iris'), '--', 'iris'], stdin: [rows[0], rows[1], rows[60], rows[120]].join('\n') + '\n' };
    },
    result: oneLine,
  },
  {
    guest: 'llm-chat',
    backend: '@wacs/backend-llama',
    model: 'tiny llama GGUF, generated',
    weights: 'random',
    prepare() {
      const path = join(work, 'tiny-llama.gguf');
      writeFileSync(path, tinyLlamaGguf());
      return { args: ['--model', `tiny=${path},threads=1`, '--', '--model', 'tiny', '--raw', '--set', 'n-predict=12', '--set', 'temp=0', 'the cat'] };
    },
    result: firstLine,
  },
  {
    guest: 'genai-chat',
    backend: '@wacs/backend-genai',
    model: 'tiny decoder with KV cache (onnxruntime-genai folder), generated',
    weights: 'random',
    async prepare() {
      const dir = await writeTinyGenaiFolder(join(work, 'tiny-genai'));
      return { args: ['--model', `tiny=${dir}`, '--', 'tiny', '--raw', '--max-new-tokens', '8', 'the cat'] };
    },
    result: firstLine,
  },
];

if (shared) {
  const model = (rel) => join(sharedModels, rel);
  demos.push(
    {
      guest: 'llm-chat',
      backend: '@wacs/backend-llama',
      model: '../shared/models/gguf/stories260K.gguf',
      weights: 'real',
      prepare: () => ({
        args: ['--model', `stories=${model('gguf/stories260K.gguf')},threads=1`, '--', '--model', 'stories', '--raw', '--set', 'n-predict=40', '--set', 'temp=0', 'Once upon a time'],
      }),
      result: firstLine,
    },
    {
      guest: 'preview1/bin/llama-stream (a WasmEdge-style core module)',
      wasm: 'guests/preview1/bin/llama-stream.wasm',
      backend: '@wacs/backend-llama',
      model: '../shared/models/gguf/stories260K.gguf via --nn-preload',
      weights: 'real',
      prepare: () => ({
        args: ['--nn-preload', `default:GGML:AUTO:${model('gguf/stories260K.gguf')}`, '--env', 'temp=0', '--env', 'n_predict=40', '--', 'default', 'Once upon a time'],
      }),
      result: firstLine,
    },
    {
      guest: 'nn-compute',
      backend: '@wacs/backend-tfjs',
      model: '../shared/models/tfjs/abalone-mlp',
      weights: 'real',
      prepare: () => ({ args: ['--model', `abalone=${model('tfjs/abalone-mlp')}`, '--', 'abalone', '--fill', '0=FP32:1x8:1'] }),
      result: firstLine,
    },
    {
      guest: 'genai-chat',
      backend: '@wacs/backend-genai',
      model: '../shared/models/genai/tiny-random-gpt2-fp32 (token ids)',
      weights: 'random',
      prepare: () => ({ args: ['--model', `gpt2=${model('genai/tiny-random-gpt2-fp32')}`, '--', 'gpt2', '--ids', '0,0,0,52', '--max-length', '10'] }),
      result: firstLine,
    },
  );
}

console.log(`wacs demo: every example guest against its backend${shared ? ', then the real models in ../shared/models' : ''}`);
console.log('(the first run of a guest transpiles it once; later runs start from the cache)\n');
let failures = 0;
for (const demo of demos) {
  const { args, stdin } = await demo.prepare();
  const started = performance.now();
  const r = await runWacs(['run', demo.wasm ?? guest(demo.guest), '--bind', demo.backend, ...args], { stdin });
  const ms = performance.now() - started;
  if (r.code !== 0) failures++;
  console.log(`guest:   ${demo.guest}\nbackend: ${demo.backend}\nmodel:   ${demo.model} (weights: ${demo.weights})`);
  console.log(`result:  ${r.code === 0 ? demo.result(r.stdout) : `FAILED (exit ${r.code}): ${r.stderr.trim()}`}`);
  console.log(`time:    ${ms.toFixed(0)} ms (the whole wacs run, start to exit)\n`);
}
console.log('Models with random weights only show that the path works: their output means nothing.');
console.log('Use a real model with --model <name>=<path>, e.g.:');
console.log('  wacs pull hf:<user>/<repo>:Q4_K_M --to models && wacs run guests/dist/llm-chat.wasm --model qwen=models/<file>.gguf -- --model qwen "Hello"');
if (!shared) console.log('With ../shared/models next to this repository, the demo also runs real trained models.');
process.exit(failures ? 1 : 0);
