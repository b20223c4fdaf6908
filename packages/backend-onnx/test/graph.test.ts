// Inputs and outputs by name and by position, output subsets, graph options and metadata, execution
// targets, external data, and load errors, on models made by the fixture builder.
import { jsonTensor, type NnError } from '@wacs/core/backend';
import { buildOnnxModel, buildOnnxModelWithExternalData, linearModel, type ModelSpec } from '@wacs/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxGraph, onnxBackend } from '../src/index.js';
import { compute, elementsOf, loadBytes, loadPath, named, tensor } from './helpers.js';

/** sum = a + b, diff = a - b, prod = a * b over float[2]: three outputs in that order. */
const threeOutputs = buildOnnxModel({
  inputs: [
    { name: 'a', type: 'float', shape: [2] },
    { name: 'b', type: 'float', shape: [2] },
  ],
  outputs: [
    { name: 'sum', type: 'float', shape: [2] },
    { name: 'diff', type: 'float', shape: [2] },
    { name: 'prod', type: 'float', shape: [2] },
  ],
  nodes: [
    { op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
    { op: 'Sub', inputs: ['a', 'b'], outputs: ['diff'] },
    { op: 'Mul', inputs: ['a', 'b'], outputs: ['prod'] },
  ],
});
const a = tensor('FP32', [2], Float32Array.of(6, 1));
const b = tensor('FP32', [2], Float32Array.of(2, 4));

describe('inputs and outputs', () => {
  it('inputs by name or by position "0", "1"; every output in model order by default', async () => {
    const graph = await loadBytes(threeOutputs);
    for (const inputs of [
      [named('a', a), named('b', b)],
      [named('1', b), named('0', a)],
    ]) {
      const outputs = await compute(graph, inputs);
      expect(outputs.map((o) => o.name)).toEqual(['sum', 'diff', 'prod']);
      expect(outputs.map((o) => elementsOf(o.tensor))).toEqual([
        [8, 5],
        [4, -3],
        [12, 4],
      ]);
    }
    await graph.dispose();
  });

  it('a metadata input picks a subset of outputs, by name or index, in the order asked', async () => {
    const graph = await loadBytes(threeOutputs);
    const byName = await compute(graph, [named('a', a), named('b', b), named('metadata', jsonTensor({ outputs: ['prod', 'sum'] }))]);
    expect(byName.map((o) => [o.name, elementsOf(o.tensor)])).toEqual([
      ['prod', [12, 4]],
      ['sum', [8, 5]],
    ]);
    // preview1 guests pass metadata at the position after the model's inputs.
    const byIndex = await compute(graph, [named('0', a), named('1', b), named('2', jsonTensor({ outputs: [1] }))]);
    expect(byIndex.map((o) => o.name)).toEqual(['diff']);
    const bad = (await compute(graph, [named('a', a), named('b', b), named('metadata', jsonTensor({ outputs: ['nope'] }))]).catch((e: NnError) => e)) as NnError;
    expect(bad.code).toBe('invalid-argument');
    expect(bad.message).toBe('metadata: the model has no output "nope"; its outputs are: sum, diff, prod');
    await graph.dispose();
  });

  it('the model option "outputs" sets the default subset', async () => {
    const graph = await loadBytes(threeOutputs, { outputs: 'diff+prod' });
    expect((await compute(graph, [named('a', a), named('b', b)])).map((o) => o.name)).toEqual(['diff', 'prod']);
    await graph.dispose();
  });

  it('unknown, missing and repeated inputs, and a wrong shape, are invalid-argument errors that say what to do', async () => {
    const graph = await loadBytes(linearModel([[1], [2], [3]], [0]));
    const failure = async (inputs: ReturnType<typeof named>[]) => (await compute(graph, inputs).catch((e: NnError) => e)) as NnError;
    const unknown = await failure([named('z', tensor('FP32', [1, 3], new Float32Array(3)))]);
    expect([unknown.code, unknown.message]).toEqual(['invalid-argument', 'the model has no input "z"; its inputs are: x (or "0".."0" by position)']);
    const missing = await failure([]);
    expect(missing.message).toBe('missing model input(s): x (float32 [N, 3]: send FP32)');
    const twice = await failure([named('x', tensor('FP32', [1, 3], new Float32Array(3))), named('0', tensor('FP32', [1, 3], new Float32Array(3)))]);
    expect(twice.message).toContain('input "x" is given twice');
    const shape = await failure([named('x', tensor('FP32', [1, 4], new Float32Array(4)))]);
    expect([shape.code, shape.message]).toEqual(['invalid-argument', 'input "x": got shape [1, 4], but the model expects [N, 3] (names are free dimensions)']);
    await graph.dispose();
  });
});

describe('options', () => {
  it('model options and metadata accept the documented keys and name an unknown one', async () => {
    const model = linearModel([[2]], [1]);
    const x = tensor('FP32', [1, 1], Float32Array.of(5));
    const graph = await loadBytes(model, { intra_op_threads: 1, inter_op_threads: 1, graph_optimization_level: 'basic', execution_mode: 'sequential', execution_providers: 'cpu' });
    expect(elementsOf((await compute(graph, [named('x', x)]))[0]!.tensor)).toEqual([11]);
    // Session options in metadata run on a session made for them; the answer is the same.
    const tuned = await compute(graph, [named('x', x), named('metadata', jsonTensor({ intra_op_threads: 2, graph_optimization_level: 'disabled' }))]);
    expect(elementsOf(tuned[0]!.tensor)).toEqual([11]);
    // A guest's metadata may carry keys for other runtimes: unknown ones are ignored, known ones checked.
    const foreign = await compute(graph, [named('x', x), named('metadata', jsonTensor({ threads: 2 }))]);
    expect(elementsOf(foreign[0]!.tensor)).toEqual([11]);
    const bad = (await compute(graph, [named('x', x), named('metadata', jsonTensor({ intra_op_threads: 'two' }))]).catch((e: NnError) => e)) as NnError;
    expect([bad.code, bad.message]).toEqual([
      'invalid-argument',
      'metadata: option "intra_op_threads" must be a whole number of threads, got "two" (threads within one operator (0: onnxruntime chooses))',
    ]);
    const tooMany = (await compute(graph, [named('x', x), named('metadata', jsonTensor({ intra_op_threads: 1024 }))]).catch((e: NnError) => e)) as NnError;
    expect(tooMany.message).toMatch(/^metadata: option "intra_op_threads" 1024 is more threads than this machine's \d+ cores$/);
    const notJson = (await compute(graph, [named('x', x), { name: 'metadata', tensor: tensor('U8', [5], new TextEncoder().encode('{oops')) }]).catch((e: NnError) => e)) as NnError;
    expect(notJson.code).toBe('invalid-encoding');
    await graph.dispose();
    await expect(loadBytes(model, { intra_op_thread: 1 })).rejects.toThrow(
      'model option: unknown option "intra_op_thread"; the onnx backend knows intra_op_threads, inter_op_threads, graph_optimization_level, execution_mode, execution_providers, spin_wait, outputs, in_thread',
    );
    await expect(loadBytes(model, { graph_optimization_level: 'max' })).rejects.toThrow('option "graph_optimization_level" must be one of disabled, basic, extended, layout, all, got "max"');
    await expect(loadBytes(model, { execution_providers: ['cpu', 'tpu'] })).rejects.toThrow('option "execution_providers" must be a list of cpu, cuda, tensorrt, dml, coreml, webgpu (not "tpu")');
  });
});

describe('execution targets', () => {
  it('cpu runs on the CPU EP; auto on the EP hardware() marks active; tpu is unsupported-operation', async () => {
    const model = linearModel([[1]], [0]);
    const cpu = (await loadBytes(model, {}, 'cpu')) as OnnxGraph;
    expect(cpu.providers).toEqual(['cpu']);
    const active = (await onnxBackend.hardware!()).find((h) => h.active)!;
    const auto = (await loadBytes(model, {}, 'auto')) as OnnxGraph;
    expect(auto.providers).toEqual([active.name]);
    const tpu = (await loadBytes(model, {}, 'tpu').catch((e: NnError) => e)) as NnError;
    expect(tpu.code).toBe('unsupported-operation');
    await cpu.dispose();
    await auto.dispose();
  });

  it('gpu runs on a GPU EP when one starts, and is unsupported-operation with each reason when none does', async () => {
    const hardware = await onnxBackend.hardware!();
    const gpu = hardware.filter((h) => h.name !== 'cpu' && h.name !== 'tensorrt' && h.available);
    const result = await loadBytes(linearModel([[1]], [0]), {}, 'gpu').catch((e: NnError) => e);
    if (gpu.length) {
      expect((result as OnnxGraph).providers[0]).toBe(gpu[0]!.name);
      await (result as OnnxGraph).dispose();
    } else {
      expect((result as NnError).code).toBe('unsupported-operation');
      expect((result as NnError).message).toMatch(/^target gpu: no GPU execution provider could start \(.*cuda: .*\); use target cpu or auto$/);
    }
  });
});

describe('loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wacs-onnx-ext-'));
  const spec = (type: 'float' | 'bfloat16'): ModelSpec => ({
    inputs: [{ name: 'x', type, shape: [2] }],
    outputs: [{ name: 'y', type, shape: [2] }],
    initializers: [{ name: 'W', type: 'float', dims: [2], data: Float32Array.of(0.5, 100) }],
    nodes:
      type === 'float'
        ? [{ op: 'Add', inputs: ['x', 'W'], outputs: ['y'] }]
        : [
            { op: 'Cast', inputs: ['x'], outputs: ['xf'], attributes: { to: { i: 1 } } },
            { op: 'Add', inputs: ['xf', 'W'], outputs: ['yf'] },
            { op: 'Cast', inputs: ['yf'], outputs: ['y'], attributes: { to: { i: 16 } } },
          ],
  });

  it('a model by path with its weights in external .onnx.data beside it (float32 and bfloat16 I/O)', async () => {
    for (const type of ['float', 'bfloat16'] as const) {
      const { model, data } = buildOnnxModelWithExternalData(spec(type), `${type}.onnx.data`);
      writeFileSync(join(dir, `${type}.onnx`), model);
      writeFileSync(join(dir, `${type}.onnx.data`), data);
      const graph = await loadPath(join(dir, `${type}.onnx`));
      const x = type === 'float' ? tensor('FP32', [2], Float32Array.of(1, 2)) : tensor('BF16', [2], Uint16Array.of(0x3f80, 0x4000));
      const [y] = await compute(graph, [named('x', x)]);
      // 1 + 0.5 = 1.5 (bf16 0x3fc0), 2 + 100 = 102 (bf16 0x42cc).
      expect(elementsOf(y!.tensor)).toEqual(type === 'float' ? [1.5, 102] : [0x3fc0, 0x42cc]);
      await graph.dispose();
    }
  });

  it('a model from guest bytes with external data is refused before the engine reads any file', async () => {
    const { model } = buildOnnxModelWithExternalData(spec('float'), '/etc/hostname');
    const refused = (await loadBytes(model).catch((e: NnError) => e)) as NnError;
    expect(refused.code).toBe('invalid-argument');
    expect(refused.message).toContain('cannot use external data');
  });

  it('bytes that are not a model are invalid-encoding; a missing external file is runtime-error with onnxruntime\'s message', async () => {
    const garbage = (await loadBytes(new TextEncoder().encode('\x08\x07not really a model at all')).catch((e: NnError) => e)) as NnError;
    expect(garbage.code).toBe('invalid-encoding');
    // Guest bytes are read before onnxruntime sees them (for external data), so this reader speaks first.
    expect(garbage.message).toMatch(/^the model is not a valid ONNX protobuf: /);
    const { model } = buildOnnxModelWithExternalData(spec('float'), 'absent.onnx.data');
    writeFileSync(join(dir, 'orphan.onnx'), model);
    const orphan = (await loadPath(join(dir, 'orphan.onnx')).catch((e: NnError) => e)) as NnError;
    expect(orphan.code).toBe('runtime-error');
    expect(orphan.message).toContain('absent.onnx.data');
  });
});
