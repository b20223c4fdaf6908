/**
 * One ONNX model as a wasi:nn graph: an InferenceSession shared by all its execution contexts.
 * Inputs are matched by name, or by position for names "0", "1", … (preview1 guests); outputs are
 * every declared model output, in model order.
 */
import { NnError, toNnError, type ExecutionContext, type ExecutionTarget, type Graph, type LoadRequest, type NamedTensor } from '@wacs/core';
import type { InferenceSession } from 'onnxruntime-node';
import { ort } from './engine.js';
import { fromOrtTensor, toOrtTensor } from './tensors.js';

/** Execution providers for a wasi:nn target. */
export function executionProviders(target: ExecutionTarget): string[] {
  switch (target) {
    case 'cpu':
      return ['cpu'];
    case 'gpu':
      return ['cuda'];
    case 'tpu':
      throw new NnError('unsupported-operation', 'the onnx backend has no TPU execution provider');
    default:
      return ['cpu'];
  }
}

export async function createSession(request: LoadRequest): Promise<InferenceSession> {
  const { InferenceSession } = await ort();
  const options: InferenceSession.SessionOptions = { executionProviders: executionProviders(request.target) };
  try {
    return request.source.kind === 'path'
      ? await InferenceSession.create(request.source.path, options)
      : await InferenceSession.create(concat(request.source.builders), options);
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    const code = /protobuf|parse|invalid model|ModelProto/i.test(message) ? 'invalid-encoding' : 'runtime-error';
    throw toNnError(e, code, 'onnxruntime could not load the model');
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** Maps guest input names to model input names: exact names, or positions for "0", "1", … */
export function modelInputName(session: InferenceSession, name: string): string {
  if (session.inputNames.includes(name)) return name;
  if (/^\d+$/.test(name)) {
    const byIndex = session.inputNames[Number(name)];
    if (byIndex !== undefined) return byIndex;
  }
  throw new NnError('invalid-argument', `the model has no input "${name}"; its inputs are: ${session.inputNames.join(', ')}`);
}

export class OnnxContext implements ExecutionContext {
  constructor(private readonly session: InferenceSession) {}

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const feeds: Record<string, Awaited<ReturnType<typeof toOrtTensor>>> = {};
    for (const { name, tensor } of inputs) {
      const modelName = modelInputName(this.session, name);
      feeds[modelName] = await toOrtTensor(modelName, tensor);
    }
    const missing = this.session.inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new NnError('invalid-argument', `missing model input(s): ${missing.join(', ')}`);
    let results;
    try {
      results = await this.session.run(feeds);
    } catch (e) {
      throw toNnError(e, /shape|dimension|rank/i.test(String((e as Error).message)) ? 'invalid-argument' : 'runtime-error', 'onnxruntime');
    }
    return this.session.outputNames.map((name) => fromOrtTensor(name, results[name]!));
  }

  dispose(): void {}
}

export class OnnxGraph implements Graph {
  constructor(readonly session: InferenceSession) {}
  createContext(): ExecutionContext {
    return new OnnxContext(this.session);
  }
  async dispose(): Promise<void> {
    await this.session.release();
  }
}
