// Model-loading fuzz for one backend, in its own process so that an engine crash is seen (and
// attributed to a case) instead of taking the test runner down:
//
//   node model-fuzz-child.mjs <backend> <seed> <first case> <last case>
//
// It makes valid models for the backend in code, mutates them (bit flips, boundary integers,
// truncation, splices, duplicated chunks, and for text formats numbers, quotes and brackets),
// loads each mutant through the backend's own `load`, and when a mutant loads, makes a context and
// computes on a plausible input. One JSON line per case on stdout, written before the case runs
// (`start`) and after (`end`), so the parent knows which case a crash or hang belongs to; each
// case's mutation depends only on the seed and its index, so the parent can go on after a crash.
// WACS_FUZZ_DUMP=<folder> writes each case's bytes there.
import { writeSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [backendName, seedText, firstText, lastText] = process.argv.slice(2);
const root = new URL('../../../../', import.meta.url).pathname;
const load = (path) => import(pathToFileURL(join(root, path)).href);
const core = await load('packages/core/dist/index.js');
const fixtures = await load('packages/fixtures/dist/index.js');
const backend = (await load(`packages/backend-${backendName}/dist/index.js`)).default;

const emit = (record) => writeSync(1, `${JSON.stringify(record)}\n`);

/** xorshift32, seeded: the same mutants every run. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return { next, below: (n) => next() % n, chance: (p) => next() % 100 < p };
}

const BOUNDARY_INTS = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000];
const TEXT_VALUES = ['0', '-1', '1e309', '4294967296', '-2147483649', '99999999999999999999', 'NaN', 'null', '"x"', '[]', '{}', 'true', '1.5'];

/** One mutation of `bytes`; `text` formats also get token-level edits. Returns the mutant and what was done. */
function mutate(bytes, r, text) {
  const out = Uint8Array.from(bytes);
  const at = () => r.below(Math.max(1, out.length));
  const kinds = text ? ['flip', 'int', 'truncate', 'splice', 'duplicate', 'number', 'number', 'number', 'delete', 'bracket', 'quote'] : ['flip', 'flip', 'byte', 'int', 'int', 'truncate', 'splice', 'duplicate', 'insert'];
  const kind = kinds[r.below(kinds.length)];
  switch (kind) {
    case 'flip': {
      const n = 1 + r.below(8);
      for (let i = 0; i < n; i++) {
        const p = at();
        out[p] ^= 1 << r.below(8);
      }
      return { bytes: out, how: `flip ${n} bits` };
    }
    case 'byte': {
      const p = at();
      out[p] = [0, 0xff, r.below(256)][r.below(3)];
      return { bytes: out, how: `byte at ${p}` };
    }
    case 'int': {
      const p = at() & ~3;
      const value = BOUNDARY_INTS[r.below(BOUNDARY_INTS.length)];
      if (p + 4 <= out.length) new DataView(out.buffer).setUint32(p, value, true);
      return { bytes: out, how: `u32 ${value} at ${p}` };
    }
    case 'truncate': {
      const n = r.below(out.length);
      return { bytes: out.subarray(0, n), how: `truncate to ${n}` };
    }
    case 'splice': {
      const p = at();
      const n = 1 + r.below(Math.min(64, out.length - p));
      return { bytes: Uint8Array.from([...out.subarray(0, p), ...out.subarray(p + n)]), how: `cut ${n} at ${p}` };
    }
    case 'duplicate': {
      const p = at();
      const n = 1 + r.below(Math.min(256, out.length - p));
      const q = at();
      return { bytes: Uint8Array.from([...out.subarray(0, q), ...out.subarray(p, p + n), ...out.subarray(q)]), how: `copy ${n} from ${p} to ${q}` };
    }
    case 'insert': {
      const p = at();
      const junk = Array.from({ length: 1 + r.below(16) }, () => r.below(256));
      return { bytes: Uint8Array.from([...out.subarray(0, p), ...junk, ...out.subarray(p)]), how: `insert ${junk.length} at ${p}` };
    }
    default: {
      const source = new TextDecoder().decode(out);
      const swap = (pattern, replace) => {
        const matches = [...source.matchAll(pattern)];
        if (!matches.length) return { bytes: out, how: `${kind} (no match)` };
        const m = matches[r.below(matches.length)];
        const value = replace(m[0]);
        return { bytes: new TextEncoder().encode(source.slice(0, m.index) + value + source.slice(m.index + m[0].length)), how: `${kind} ${JSON.stringify(m[0]).slice(0, 20)} -> ${JSON.stringify(value).slice(0, 20)}` };
      };
      if (kind === 'number') return swap(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, () => TEXT_VALUES[r.below(TEXT_VALUES.length)]);
      if (kind === 'delete') return swap(/[^\s]/g, () => '');
      if (kind === 'bracket') return swap(/[[\]{}<>]/g, (c) => ']}[{><'[r.below(6)]);
      return swap(/"[^"]{0,40}"/g, () => ['""', '"\\u0000"', `"${'A'.repeat(1000)}"`, '"../../../../etc/passwd"'][r.below(4)]);
    }
  }
}

const f32 = (dims, values) => core.tensorFrom('FP32', dims, Float32Array.from(values));
const f64 = (dims, values) => core.tensorFrom('FP64', dims, Float64Array.from(values));

/** Valid models for this backend: how to load a mutant of each, and an input to compute on. */
async function seeds(work) {
  switch (backendName) {
    case 'onnx':
      return [
        { name: 'linear', bytes: fixtures.linearModel([[1, 2], [3, 4], [5, 6]], [0.5, -1]), inputs: [{ name: 'x', tensor: f32([1, 3], [1, 2, 3]) }] },
        { name: 'add-int64', bytes: fixtures.addModel('int64', [2]), inputs: [{ name: 'a', tensor: core.tensorFrom('I64', [2], BigInt64Array.from([1n, 2n])) }, { name: 'b', tensor: core.tensorFrom('I64', [2], BigInt64Array.from([3n, 4n])) }] },
        { name: 'cast', bytes: fixtures.castModel('float', 'int64', [3]), inputs: [{ name: 'x', tensor: f32([3], [1.5, -2, 7]) }] },
      ].map((s) => ({ ...s, text: false, request: (bytes) => ({ source: { kind: 'bytes', builders: [bytes] }, encoding: 'onnx', target: 'cpu', options: {} }) }));
    case 'classic': {
      const onnxMl = await load('packages/backend-classic/fixtures/onnx-ml.mjs');
      const trees = [{ feature: 0, threshold: 0.5, yes: { leaf: [0.7, 0.2, 0.1] }, no: { feature: 2, threshold: -1, yes: { leaf: [0.1, 0.8, 0.1] }, no: { leaf: [0.2, 0.2, 0.6] } } }];
      const { trainIrisModel } = await load('packages/backend-classic/dist/demo.js');
      const trained = await trainIrisModel(join(work, 'iris'), { trees: 3, seed: 7 });
      const pmml = `<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
  <DataDictionary numberOfFields="3">
    <DataField name="x1" optype="continuous" dataType="double"/>
    <DataField name="x2" optype="continuous" dataType="double"/>
    <DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
  </DataDictionary>
  <TreeModel functionName="classification">
    <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Node score="a"><True/>
      <Node score="a" recordCount="3"><SimplePredicate field="x1" operator="lessThan" value="0.5"/><ScoreDistribution value="a" recordCount="2"/><ScoreDistribution value="b" recordCount="1"/></Node>
      <Node score="b" recordCount="2"><SimplePredicate field="x1" operator="greaterOrEqual" value="0.5"/></Node>
    </Node>
  </TreeModel>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x1"/><MiningField name="x2"/></MiningSchema>
    <RegressionTable intercept="1.5"><NumericPredictor name="x1" coefficient="2"/><NumericPredictor name="x2" coefficient="-0.25" exponent="2"/></RegressionTable>
  </RegressionModel>
</PMML>`;
      const request = (bytes) => ({ source: { kind: 'bytes', builders: [bytes] }, encoding: 'autodetect', target: 'cpu', options: {} });
      return [
        { name: 'pmml', bytes: new TextEncoder().encode(pmml), text: true, inputs: [{ name: 'features', tensor: f64([2, 2], [0.1, 3, 0.9, -1]) }], request },
        { name: 'mljs-forest', bytes: new Uint8Array(await readFile(trained.modelPath)), text: true, inputs: [{ name: 'features', tensor: f64([1, 4], [5.1, 3.5, 1.4, 0.2]) }], request },
        { name: 'onnx-ml-trees', bytes: onnxMl.treeEnsembleClassifier({ trees, classes: [0, 1, 2], features: 3, zipMap: true }), text: false, inputs: [{ name: 'features', tensor: f32([1, 3], [0.1, -1, 3]) }], request: (bytes) => ({ ...request(bytes), encoding: 'onnx' }) },
      ];
    }
    case 'tfjs': {
      const tfjs = await load('packages/backend-tfjs/dist/index.js');
      const { trainXorModel } = await load('packages/backend-tfjs/dist/demo.js');
      await trainXorModel(join(work, 'xor'), { epochs: 200 });
      const bytes = await tfjs.embedModel(join(work, 'xor'));
      return [{ name: 'xor-mlp', bytes, text: true, inputs: [{ name: '0', tensor: f32([1, 2], [1, 0]) }], request: (b) => ({ source: { kind: 'bytes', builders: [b] }, encoding: 'tensorflow', target: 'cpu', options: {} }) }];
    }
    case 'llama':
      return [
        {
          name: 'tiny-llama',
          bytes: fixtures.tinyLlamaGguf(),
          text: false,
          inputs: [{ name: '0', tensor: core.textTensor('the cat') }, { name: '1', tensor: core.jsonTensor({ 'n-predict': 2, temp: 0 }) }],
          request: (b) => ({ source: { kind: 'bytes', builders: [b] }, encoding: 'ggml', target: 'cpu', options: { threads: 1, 'ctx-size': 64 } }),
        },
      ];
    case 'genai': {
      // A folder format: each mutant is a copy of the tiny folder with one of its files mutated.
      const folder = await fixtures.writeTinyGenaiFolder(join(work, 'genai'));
      const files = ['genai_config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json'];
      return Promise.all(
        files.map(async (file) => ({
          name: `genai ${file}`,
          bytes: new Uint8Array(await readFile(join(folder, file))),
          text: file.endsWith('.json'),
          inputs: [{ name: '0', tensor: core.textTensor('hello') }, { name: '1', tensor: core.jsonTensor({ max_length: 6 }) }],
          async prepare(bytes, index) {
            const copy = join(work, `case-${index}`);
            await cp(folder, copy, { recursive: true });
            await writeFile(join(copy, file), bytes);
            return copy;
          },
          request: (path) => ({ source: { kind: 'path', path }, encoding: 'onnx', target: 'cpu', options: { threads: 1 } }),
        })),
      );
    }
    default:
      throw new Error(`unknown backend ${backendName}`);
  }
}

/** An error a guest can be given as is: an NnError with a wasi:nn code. */
const proper = (e) => e instanceof core.NnError && core.ERROR_CODES.includes(e.code);

const work = await mkdtemp(join(tmpdir(), `wacs-model-fuzz-${backendName}-`));
const models = await seeds(work);

/** loaded: load succeeded (computed or not); computed: the compute succeeded too; improper: a throw that was not an NnError. */
const tally = { cases: 0, loaded: 0, computed: 0, rejected: 0, improper: 0 };
for (let index = Number(firstText); index <= Number(lastText); index++) {
  const model = models[index % models.length];
  const r = rng(Math.imul(Number(seedText), 1000003) + index);
  // One case in eight is the model unchanged: the control that shows loads and computes can succeed.
  const { bytes, how } = index < models.length || r.chance(12) ? { bytes: model.bytes, how: 'unchanged' } : mutate(model.bytes, r, model.text);
  emit({ event: 'start', index, model: model.name, how });
  // WACS_FUZZ_DUMP=<folder> keeps each case's bytes, to load a crashing case by hand.
  if (process.env.WACS_FUZZ_DUMP) await writeFile(join(process.env.WACS_FUZZ_DUMP, `${backendName}-${seedText}-${index}.bin`), bytes);
  const started = performance.now();
  let outcome = 'rejected';
  let detail;
  let graph;
  let context;
  try {
    const source = model.prepare ? await model.prepare(bytes, index) : bytes;
    graph = await backend.load(model.request(source));
    outcome = 'loaded';
    context = await graph.createContext();
    await context.compute(model.inputs);
    outcome = 'computed';
  } catch (e) {
    detail = proper(e) ? `${e.code}: ${e.message.slice(0, 160)}` : `NOT an NnError: ${e?.name}: ${String(e?.message ?? e).slice(0, 160)}`;
    if (!proper(e)) tally.improper++;
  } finally {
    await context?.dispose();
    await graph?.dispose();
  }
  tally.cases++;
  if (outcome === 'rejected') tally.rejected++;
  else tally.loaded++;
  if (outcome === 'computed') tally.computed++;
  emit({ event: 'end', index, outcome, detail, ms: Math.round(performance.now() - started) });
}
await backend.dispose?.();
await rm(work, { recursive: true, force: true });
emit({ event: 'done', tally });
