/** A session on onnxruntime-web and the execution contexts that compute on it. */
import { NnError, type ExecutionContext, type Graph, type NamedTensor, type Tensor } from '@wacs/core/backend';
import { ort } from './engine.js';
import { fromOrtTensor, ortTypeOf, toOrtTensor } from './tensors.js';

/** The model's declared type and fixed dimensions, checked before the engine sees the tensor. */
function checkInput(session: ort.InferenceSession, name: string, tensor: Tensor): void {
  const declared = session.inputMetadata.find((m) => m.name === name);
  if (!declared?.isTensor) return;
  const type = ortTypeOf(tensor.type);
  if (type && declared.type !== type) {
    throw new NnError('invalid-argument', `onnx-web: input "${name}" is ONNX ${declared.type}, and the guest sent ${tensor.type} (${type})`);
  }
  const { shape } = declared;
  const fits = shape.length === tensor.dimensions.length && shape.every((d, i) => typeof d !== 'number' || d < 0 || d === tensor.dimensions[i]);
  if (!fits) {
    throw new NnError('invalid-argument', `onnx-web: input "${name}" has shape [${shape.join(',')}], and the guest sent [${tensor.dimensions.join(',')}]`);
  }
}

class OnnxWebContext implements ExecutionContext {
  constructor(private readonly session: ort.InferenceSession) {}

  async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
    const { inputNames, outputNames } = this.session;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of inputs) {
      // Preview1 guests name inputs by index.
      const name = inputNames.includes(input.name) ? input.name : /^\d+$/.test(input.name) ? inputNames[Number(input.name)] : undefined;
      if (!name) throw new NnError('invalid-argument', `onnx-web: the model has no input "${input.name}"; its inputs: ${inputNames.join(', ')}`);
      checkInput(this.session, name, input.tensor);
      feeds[name] = toOrtTensor(ort, { name, tensor: input.tensor });
    }
    const missing = inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new NnError('invalid-argument', `onnx-web: inputs missing: ${missing.join(', ')}`);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(feeds);
    } catch (e) {
      throw new NnError('runtime-error', `onnx-web: ${(e as Error).message}`, undefined, { cause: e });
    }
    return outputNames.map((name) => fromOrtTensor(name, results[name] as ort.Tensor));
  }

  dispose(): void {}
}

export class OnnxWebGraph implements Graph {
  private disposed = false;
  constructor(private readonly session: ort.InferenceSession) {}

  createContext(): ExecutionContext {
    return new OnnxWebContext(this.session);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}
