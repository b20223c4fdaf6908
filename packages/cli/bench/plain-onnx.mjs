// The baseline a one-shot `wacs run` is compared with: a plain Node script that does the same work
// with onnxruntime-node directly (load the model, one compute on a filled input, print the first
// outputs) and then writes its peak resident memory as the traced `wacs run` does.
//   node plain-onnx.mjs <model.onnx> <input name> <dims, e.g. 1x1x28x28> <fill value>
import ort from 'onnxruntime-node';

const [modelPath, inputName, dims, fill] = process.argv.slice(2);
const shape = dims.split('x').map(Number);
const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(Number(fill));
const outputs = await session.run({ [inputName]: new ort.Tensor('float32', data, shape) });
for (const [name, tensor] of Object.entries(outputs)) console.log(name, Array.from(tensor.data).slice(0, 16).join(' '));
await session.release();
process.stderr.write(`wacs-trace-peak-rss-kib ${process.resourceUsage().maxRSS}\n`);
