// `pnpm demo`: runs every example guest against its backend with models this project makes itself,
// then with the real models in ../shared/models when that folder is there. Prints, for each run:
// guest, backend, model, result and time. Each entry below is one guest + backend + model.
import { guest, linearModel, runWacs, sharedModels } from '@wacs/fixtures';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'wacs-demo-'));
const shared = existsSync(sharedModels);

/** @type {Array<{ guest: string, backend: string, model: string, weights: 'real' | 'random' | 'hand-set', prepare: () => Promise<{ args: string[], stdin?: string }> | { args: string[], stdin?: string }, result: (stdout: string) => string }>} */
const demos = [
  {
    guest: 'nn-compute',
    backend: '@wacs/backend-onnx',
    model: 'linear.onnx (generated: y = x·W + b)',
    weights: 'hand-set',
    prepare() {
      const path = join(work, 'linear.onnx');
      writeFileSync(path, linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]));
      return { args: ['--model', `linear=${path}`, '--', 'linear', 'x=FP32:1x3:1,2,3'] };
    },
    result: (out) => out.split('\n')[0] ?? '',
  },
];

if (shared) {
  demos.push({
    guest: 'nn-compute',
    backend: '@wacs/backend-onnx',
    model: '../shared/models/onnx/quickstart-toy-model.onnx',
    weights: 'real',
    prepare: () => ({
      args: ['--model', `toy=${join(sharedModels, 'onnx/quickstart-toy-model.onnx')}`, '--', 'toy', 'a=FP32:3x4:1,2,3,4,5,6,7,8,9,10,11,12', 'b=FP32:4x3:1,0,0,0,1,0,0,0,1,1,1,1'],
    }),
    result: (out) => out.split('\n')[0] ?? '',
  });
}

console.log(`wacs demo: every example guest against its backend${shared ? ' (and the real models in ../shared/models)' : ''}\n`);
let failures = 0;
for (const demo of demos) {
  const { args, stdin } = await demo.prepare();
  const started = performance.now();
  const r = await runWacs(['run', guest(demo.guest), '--bind', demo.backend, ...args], { stdin });
  const ms = performance.now() - started;
  const ok = r.code === 0;
  if (!ok) failures++;
  console.log(`guest:   ${demo.guest}\nbackend: ${demo.backend}\nmodel:   ${demo.model} [${demo.weights} weights]`);
  console.log(`result:  ${ok ? demo.result(r.stdout) : `FAILED (exit ${r.code}): ${r.stderr.trim()}`}`);
  console.log(`time:    ${ms.toFixed(0)} ms (whole wacs run, start to exit)\n`);
}
if (demos.some((d) => d.weights === 'random')) {
  console.log('Models marked [random weights] are made by this project to show the path works; their output is not meaningful.');
}
console.log('Point a guest at your own model with --model <name>=<path> (e.g. wacs run guests/dist/llm-chat.wasm --model qwen=./qwen.gguf).');
process.exit(failures ? 1 : 0);
