// wacs-example-model: writes a small ONNX model for trying the example guests without downloading
// anything, e.g. the quick start's `wacs-example-model linear` then
// `wacs run nn-compute --model lin=./linear.onnx -- lin x=FP32:2x3:1,2,3,4,5,6`.
//
//   wacs-example-model <model> [file]      (file default: <model>.onnx in the current directory)
import { linearModel } from '@wacs/fixtures';
import { writeFileSync } from 'node:fs';

interface ExampleModel {
  describe: string;
  make: () => Uint8Array;
}

const W = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const b = [0.5, -1];

const models: Record<string, ExampleModel> = {
  linear: {
    describe: `y = x·W + b with x float[N,3], W = ${JSON.stringify(W)}, b = ${JSON.stringify(b)} (y float[N,2])`,
    make: () => linearModel(W, b),
  },
};

const usage = `Usage: wacs-example-model <model> [file]

Writes a small example ONNX model to <file> (default: <model>.onnx), for the guests of @wacs/guests.
Models:
${Object.entries(models)
  .map(([name, m]) => `  ${name.padEnd(8)} ${m.describe}`)
  .join('\n')}`;

const [name, file = `${name}.onnx`] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  console.log(usage);
  process.exit(name ? 0 : 2);
}
const model = Object.hasOwn(models, name) ? models[name] : undefined;
if (!model) {
  console.error(`wacs-example-model: no example model "${name}" (models: ${Object.keys(models).join(', ')})`);
  process.exit(2);
}
writeFileSync(file, model.make());
console.log(`wrote ${file}: ${model.describe}`);
