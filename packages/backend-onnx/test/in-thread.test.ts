// The in-thread twin (src/in-thread.ts) a preview1 guest's worker computes on: against the host
// graph as the oracle, it must give the same outputs and the same errors for every tensor type,
// output selection and metadata; and the graph offers it only where it should.
import { buildOnnxModelWithExternalData, identityModel, linearModel, type OnnxType } from '@wacs/fixtures';
import type { InThreadGraph, NamedTensor, NnError, Tensor } from '@wacs/core/backend';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInThread } from '../src/in-thread.js';
import { WASI_TYPE_FOR, type OnnxElementType } from '@wacs/onnxruntime';
import { OnnxGraph } from '../src/index.js';
import { compute, loadBytes, loadPath, named, ORT_NAMES, tensor } from './helpers.js';

const json = (value: unknown): Tensor => tensor('U8', [1], new TextEncoder().encode(JSON.stringify(value)));

/** Two values of each wasi:nn type that every ONNX type mapped onto it accepts, and two that some refuse (out of range). */
const VALUES: Record<string, { ok: ArrayBufferView; refused?: ArrayBufferView }> = {
  FP32: { ok: Float32Array.of(1.5, -0) },
  FP16: { ok: Uint16Array.of(0x3c00, 0xfbff) },
  FP64: { ok: Float64Array.of(Math.PI, -1e-300) },
  BF16: { ok: Uint16Array.of(0x3f80, 0xff7f) },
  U8: { ok: Uint8Array.of(1, 0), refused: Uint8Array.of(2, 0) },
  I32: { ok: Int32Array.of(0, 127), refused: Int32Array.of(-1, 70000) },
  I64: { ok: BigInt64Array.of(0n, 7n), refused: BigInt64Array.of(-1n, 0n) },
};

/** The outcome of a compute as plain data: outputs, or the error's code and message. */
async function outcome(run: () => Promise<NamedTensor[]> | NamedTensor[]): Promise<unknown> {
  try {
    return (await run()).map(({ name, tensor: t }) => ({ name, type: t.type, dimensions: t.dimensions, data: Array.from(t.data) }));
  } catch (e) {
    return { code: (e as NnError).code, message: (e as NnError).message };
  }
}

function twinOf(graph: OnnxGraph): InThreadGraph {
  const spec = graph.inThread();
  if (!spec) throw new Error('the graph offers no in-thread twin');
  return openInThread(spec.init);
}

describe('the in-thread twin', () => {
  it('gives the outputs and errors of the host graph for every ONNX type wasi:nn can carry', async () => {
    const types = (Object.keys(WASI_TYPE_FOR) as OnnxElementType[]).filter((t) => t !== 'string');
    const fixtureType = (t: OnnxElementType) => (Object.keys(ORT_NAMES) as OnnxType[]).find((f) => ORT_NAMES[f] === t)!;
    const seen = { outputs: 0, errors: 0 };
    for (const type of types) {
      const graph = (await loadBytes(identityModel(fixtureType(type), [2]))) as OnnxGraph;
      const twin = twinOf(graph).createContext();
      const wasi = WASI_TYPE_FOR[type]!;
      const cases = [VALUES[wasi]!.ok, VALUES[wasi]!.refused, ...(wasi === 'FP32' ? [] : [Float32Array.of(1, 2)])].filter(Boolean) as ArrayBufferView[];
      for (const values of cases) {
        const inputs = [named('x', tensor(values instanceof Float32Array && wasi !== 'FP32' ? 'FP32' : wasi, [2], values))];
        const host = await outcome(() => compute(graph, inputs));
        seen[Array.isArray(host) ? 'outputs' : 'errors']++;
        expect({ type, values: String(values), twin: await outcome(() => twin.compute(inputs)) }).toEqual({ type, values: String(values), twin: host });
      }
      await graph.dispose();
    }
    // Both kinds were compared: every type's good values, and at least each wrong-type case.
    expect(seen.outputs).toBeGreaterThanOrEqual(types.length);
    expect(seen.errors).toBeGreaterThanOrEqual(types.length - 1);
  });

  it('selects outputs, reads metadata (session options on a session of their own), and rejects what the host rejects', async () => {
    const graph = (await loadBytes(linearModel([[1, 2], [3, 4]], [0.5, -1]), { outputs: 'y' })) as OnnxGraph;
    const twin = twinOf(graph);
    const context = twin.createContext();
    const x = named('x', tensor('FP32', [1, 2], Float32Array.of(1, -1)));
    const cases: NamedTensor[][] = [
      [x],
      [x, named('metadata', json({ intra_op_threads: 1, graph_optimization_level: 'disabled' }))],
      [x, named('metadata', json({ outputs: ['nope'] }))],
      [x, named('metadata', json({ threads: 2 }))],
      [named('x', tensor('FP32', [2, 2, 1], Float32Array.of(1, 2, 3, 4)))],
      [named('x', tensor('I32', [1, 2], Int32Array.of(1, 2)))],
      [named('z', tensor('FP32', [1, 2], Float32Array.of(1, 2)))],
      [],
    ];
    for (const inputs of cases) expect(await outcome(() => context.compute(inputs))).toEqual(await outcome(() => compute(graph, inputs)));
    context.dispose();
    twin.dispose();
    twin.dispose(); // idempotent
    await graph.dispose();
  });

  it('is offered for CPU models up to 64 MiB without external data, unless in_thread says otherwise', async () => {
    const model = linearModel([[1]], [0]);
    const plain = (await loadBytes(model)) as OnnxGraph;
    const spec = plain.inThread()!;
    // The spec names the built module the worker will require, and it opens the same twin.
    const required = createRequire(import.meta.url)(spec.module) as { openInThread: typeof openInThread };
    const twin = required.openInThread(spec.init);
    expect(await outcome(() => twin.createContext().compute([named('x', tensor('FP32', [1, 1], Float32Array.of(3)))]))).toEqual(
      await outcome(() => compute(plain, [named('x', tensor('FP32', [1, 1], Float32Array.of(3)))])),
    );
    twin.dispose();
    expect(((await loadBytes(model, { in_thread: 'false' })) as OnnxGraph).inThread()).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'wacs-in-thread-'));
    const external = buildOnnxModelWithExternalData(
      { inputs: [{ name: 'x', type: 'float', shape: [1] }], outputs: [{ name: 'y', type: 'float', shape: [1] }], initializers: [{ name: 'b', type: 'float', dims: [1], data: Float32Array.of(2) }], nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }] },
      'ext.onnx.data',
    );
    writeFileSync(join(dir, 'ext.onnx'), external.model);
    writeFileSync(join(dir, 'ext.onnx.data'), external.data);
    expect(((await loadPath(join(dir, 'ext.onnx'))) as OnnxGraph).inThread()).toBeUndefined();
    const forced = (await loadPath(join(dir, 'ext.onnx'), { in_thread: true })) as OnnxGraph;
    const input = [named('x', tensor('FP32', [1], Float32Array.of(1)))];
    expect(await outcome(() => twinOf(forced).createContext().compute(input))).toEqual(await outcome(() => compute(forced, input)));
    expect(await outcome(() => compute(forced, input))).toEqual([{ name: 'y', type: 'FP32', dimensions: [1], data: Array.from(new Uint8Array(Float32Array.of(3).buffer)) }]);
  });
});
