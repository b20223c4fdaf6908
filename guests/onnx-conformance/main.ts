// onnx-conformance: runs ONNX backend node tests through wasi:nn, from a preopened directory.
//
//   onnx-conformance <tests-dir> [--results <file>] [--only <name>[,<name>…]]
//
// <tests-dir> holds test folders (model.onnx + test_data_set_*/input_N.pb, output_N.pb). For each
// test the guest loads model.onnx from its bytes (encoding onnx, target cpu), computes every data
// set, and compares the outputs wasi:nn returned with output_N.pb as ONNX's backend test runner
// does: shapes and types equal, numbers within rtol 1e-3 / atol 1e-7 (NaN equals NaN), the rest
// exactly. Without --results it prints `PASS|FAIL|SKIP <test>[: reason]` and a summary; with it,
// it writes one JSON line per test to the file instead (the host runner reads it).
import { args, describeError, load, Tensor, type TensorType } from '../lib/nn.js';
import { exists, FileWriter, listDir, readFile } from '../lib/files.js';
import { decodeTensor, elements, modelGraphIo, NotCarried, ONNX_TYPE_NAMES, WASI_TYPE_OF, type DecodedTensor } from '../lib/onnx.js';

const RTOL = 1e-3;
const ATOL = 1e-7;

interface Result {
  test: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
  ms: number;
}

class Skip extends Error {}

const isFloat = (type: TensorType) => type === 'FP32' || type === 'FP64' || type === 'FP16' || type === 'BF16';

/** Why an output differs from the expected tensor, or undefined when it matches. */
function mismatch(expected: DecodedTensor, actual: Tensor): string | undefined {
  const type = actual.ty();
  if (type !== expected.type) return `type ${type}, expected ${expected.type} (for ONNX ${expected.onnxTypeName})`;
  const dims = Array.from(actual.dimensions());
  if (expected.onnxType === 8) {
    const got = JSON.stringify(JSON.parse(new TextDecoder().decode(actual.data())));
    const want = new TextDecoder().decode(expected.data);
    return got === want ? undefined : `strings ${got.slice(0, 200)}, expected ${want.slice(0, 200)}`;
  }
  if (dims.join(',') !== expected.dimensions.join(',')) return `shape [${dims}], expected [${expected.shape}]`;
  const got = elements(type, actual.data());
  const want = elements(type, expected.data);
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    let ok: boolean;
    if (isFloat(type)) {
      const x = a as number;
      const y = e as number;
      ok = (Number.isNaN(x) && Number.isNaN(y)) || x === y || Math.abs(x - y) <= ATOL + RTOL * Math.abs(y);
    } else {
      ok = a === e;
    }
    if (!ok && bad++ === 0) first = `element ${i} is ${a}, expected ${e}`;
  }
  return bad ? `${bad} of ${want.length} elements differ (${first})` : undefined;
}

function runTest(dir: string): void {
  const model = readFile(`${dir}/model.onnx`);
  // A model this reader cannot parse still goes to the engine, whose error says more.
  let io: ReturnType<typeof modelGraphIo> = { inputs: [], outputs: [] };
  let unreadable: unknown;
  try {
    io = modelGraphIo(model);
  } catch (e) {
    unreadable = e;
  }
  for (const v of io.inputs) if (v.kind !== 'tensor') throw new Skip(`input "${v.name}" is a ${v.kind}; wasi:nn carries tensors only`);
  for (const [what, values] of [['input', io.inputs], ['output', io.outputs]] as const) {
    for (const v of values) {
      if (v.kind === 'tensor' && !WASI_TYPE_OF[v.elemType!]) throw new Skip(`${what} "${v.name}" is ONNX ${ONNX_TYPE_NAMES[v.elemType!] ?? v.elemType}, which no wasi:nn type carries`);
    }
  }
  const sets = listDir(dir).filter((e) => e.type === 'directory' && e.name.startsWith('test_data_set_'));
  if (!sets.length) throw new Skip('no test_data_set_* folders');
  let graph;
  try {
    graph = load([model], 'onnx', 'cpu');
  } catch (e) {
    throw new Error(`load: ${describeError(e)}`);
  }
  if (unreadable) throw new Error(`the engine loaded the model, but this guest cannot read its inputs and outputs: ${String(unreadable)}`);
  const context = graph.initExecutionContext();
  for (const set of sets) {
    const path = `${dir}/${set.name}`;
    const inputs: Array<[string, Tensor]> = [];
    for (let i = 0; exists(`${path}/input_${i}.pb`); i++) {
      let t: DecodedTensor;
      try {
        t = decodeTensor(readFile(`${path}/input_${i}.pb`));
      } catch (e) {
        if (e instanceof NotCarried) throw new Skip(`${set.name}/input_${i}.pb: ${e.message}`);
        throw e;
      }
      const name = io.inputs.some((v) => v.name === t.name) ? t.name : io.inputs[i]?.name ?? String(i);
      inputs.push([name, new Tensor(new Uint32Array(t.dimensions), t.type, t.data)]);
    }
    let outputs: Array<[string, Tensor]>;
    try {
      outputs = context.compute(inputs);
    } catch (e) {
      throw new Error(`${set.name}: compute: ${describeError(e)}`);
    }
    for (let i = 0; exists(`${path}/output_${i}.pb`); i++) {
      let expected: DecodedTensor;
      try {
        expected = decodeTensor(readFile(`${path}/output_${i}.pb`));
      } catch (e) {
        if (e instanceof NotCarried) throw new Skip(`${set.name}/output_${i}.pb: ${e.message}`);
        throw e;
      }
      const name = io.outputs[i]?.name ?? expected.name;
      const actual = outputs.find(([n]) => n === name)?.[1];
      if (!actual) throw new Error(`${set.name}: no output "${name}" came back (got ${outputs.map(([n]) => n).join(', ')})`);
      const why = mismatch(expected, actual);
      if (why) throw new Error(`${set.name}: output "${name}": ${why}`);
    }
  }
}

function main(): void {
    const argv = args();
    const root = argv.shift();
    if (!root) throw new Error('usage: onnx-conformance <tests-dir> [--results <file>] [--only <name>[,<name>…]]');
    let resultsPath: string | undefined;
    let only: Set<string> | undefined;
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--results') resultsPath = argv[++i];
      else if (argv[i] === '--only') only = new Set(argv[++i]!.split(','));
      else throw new Error(`unknown argument ${argv[i]}`);
    }
    const results = resultsPath ? new FileWriter(resultsPath) : undefined;
    const tests = listDir(root).filter((e) => e.type === 'directory' && (!only || only.has(e.name)) && exists(`${root}/${e.name}/model.onnx`));
    const counts = { pass: 0, fail: 0, skip: 0 };
    for (const { name } of tests) {
      const started = performance.now();
      let result: Result;
      try {
        runTest(`${root}/${name}`);
        result = { test: name, status: 'pass', ms: 0 };
      } catch (e) {
        result = { test: name, status: e instanceof Skip ? 'skip' : 'fail', reason: e instanceof Error ? e.message : String(e), ms: 0 };
      }
      result.ms = Math.round((performance.now() - started) * 10) / 10;
      counts[result.status]++;
      if (results) results.write(`${JSON.stringify(result)}\n`);
      else console.log(`${result.status.toUpperCase()} ${name}${result.reason ? `: ${result.reason}` : ''}`);
    }
    if (!results) console.log(`${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
}

export const run = {
  run(): void {
    try {
      main();
    } catch (e) {
      console.error(`onnx-conformance: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  },
};
