// onnx-classify: runs an ONNX image classifier on a tensor file and prints the top-k classes.
//
//   onnx-classify <model> <tensor-file> [--top K] [--input NAME] [--output NAME] [--labels a,b,c]
//
// <model> is a name registered with the host (`--model mnist=…`, load-by-name), or the path of an
// .onnx file in a preopened directory (`--dir`), loaded from its bytes. <tensor-file> is in a
// preopened directory: an ONNX TensorProto (.pb, as in ONNX test data) or a NumPy .npy array.
// The input defaults to the model's first input, the scores to its first output.
// Output: one line per class, best first: `<rank> <class> [<label>] score=<s> p=<softmax>`.
import { args, describeError, load, loadByName, Tensor, type TensorType } from '../lib/nn.js';
import { exists, readFile } from '../lib/files.js';
import { decodeTensor, elements } from '../lib/onnx.js';

/** NumPy dtype descriptors → wasi:nn types (little-endian or single-byte only). */
const NPY_TYPES: Record<string, TensorType> = {
  '<f4': 'FP32',
  '<f8': 'FP64',
  '<f2': 'FP16',
  '|u1': 'U8',
  '|b1': 'U8',
  '<i4': 'I32',
  '<i8': 'I64',
};

/** Parses a .npy file (format versions 1–3): header dict, then C-order element bytes. */
function readNpy(bytes: Uint8Array, path: string): Tensor {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error(`${path} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const type = descr ? NPY_TYPES[descr] : undefined;
  if (!type) throw new Error(`${path}: dtype ${descr} is not one of ${Object.keys(NPY_TYPES).join(', ')}`);
  if (fortran) throw new Error(`${path}: Fortran-order arrays are not supported; save a C-order array`);
  const shape = (shapeText ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return new Tensor(new Uint32Array(shape.length ? shape : [1]), type, bytes.slice(start + headerLength));
}

function readTensor(path: string): Tensor {
  const bytes = readFile(path);
  if (path.endsWith('.npy')) return readNpy(bytes, path);
  const t = decodeTensor(bytes);
  return new Tensor(new Uint32Array(t.dimensions), t.type, t.data);
}


function main(): void {
  const argv = args();
  const positional: string[] = [];
  let top = 5;
  let inputName = '0';
  let outputName: string | undefined;
  let labels: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--input') inputName = argv[++i]!;
    else if (a === '--output') outputName = argv[++i];
    else if (a === '--labels') labels = argv[++i]!.split(',');
    else positional.push(a);
  }
  const [model, tensorPath] = positional;
  if (!model || !tensorPath || !(top > 0)) {
    throw new Error('usage: onnx-classify <model name or .onnx path> <tensor file (.pb or .npy)> [--top K] [--input NAME] [--output NAME] [--labels a,b,c]');
  }
  const input = readTensor(tensorPath);
  let outputs: Array<[string, Tensor]>;
  try {
    const fromFile = model.includes('/') && exists(model);
    const graph = fromFile ? load([readFile(model)], 'onnx', 'cpu') : loadByName(model);
    outputs = graph.initExecutionContext().compute([[inputName, input]]);
  } catch (e) {
    throw new Error(describeError(e));
  }
  const chosen = outputName === undefined ? outputs[0] : outputs.find(([name]) => name === outputName);
  if (!chosen) throw new Error(`the model has no output ${outputName}; it returned ${outputs.map(([n]) => n).join(', ')}`);
  const scores = Array.from(elements(chosen[1].ty(), chosen[1].data()), Number);
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const ranked = scores.map((score, index) => ({ index, score, p: exps[index]! / sum })).sort((a, b) => b.score - a.score);
  ranked.slice(0, top).forEach((c, rank) => {
    const label = labels[c.index] ? ` ${labels[c.index]}` : '';
    console.log(`${rank + 1} ${c.index}${label} score=${+c.score.toPrecision(7)} p=${+c.p.toPrecision(5)}`);
  });
}

export const run = {
  run(): void {
    try {
      main();
    } catch (e) {
      console.error(`onnx-classify: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  },
};
