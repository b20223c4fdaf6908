/**
 * A layers model built synchronously from its artifacts, for an in-thread twin: the guest's thread
 * is blocked in a wasi:nn call while the twin opens, so its event loop never turns, and every
 * public tfjs loader (`loadLayersModel`, `models.modelFromJSON`) is asynchronous.
 *
 * `modelFromJSON` builds the model synchronously before its first `await`, and asynchronously
 * only fetches weights, which it is not given here; the model reaches only its promise, though. So
 * the model's top-level class comes in through `customObjects`, with a `fromConfig` that keeps
 * what it builds, and the weights are decoded and set synchronously as `modelFromJSON` sets them.
 */
import type * as Tf from '@tensorflow/tfjs';
import type { TfModule } from './engine-select.js';

/** A layers model's artifacts as plain data: JSON and one byte array, as the bridge carries them to a worker. */
export interface LayersArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: Tf.io.WeightsManifestEntry[];
  weightData: Uint8Array;
}

/** A loaded model's artifacts, its weights read from the engine as they are now. */
export function layersArtifacts(modelTopology: Record<string, unknown>, model: Tf.LayersModel): LayersArtifacts {
  const weightSpecs: Tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const weight of model.weights) {
    const values = weight.read().dataSync() as Float32Array | Int32Array | Uint8Array;
    weightSpecs.push({ name: weight.originalName, shape: weight.shape as number[], dtype: weight.dtype as Tf.io.WeightsManifestEntry['dtype'] });
    // A copy: on the wasm engine the values may be a view of its heap, which a later read can move.
    parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
  }
  const weightData = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    weightData.set(part, offset);
    offset += part.byteLength;
  }
  return { modelTopology, weightSpecs, weightData };
}

type FromConfig = (cls: unknown, config: unknown, customObjects?: unknown, fastWeightInit?: boolean) => unknown;

export function layersModelSync(tf: TfModule, artifacts: LayersArtifacts): Tf.LayersModel {
  const topology = (artifacts.modelTopology.model_config ?? artifacts.modelTopology) as { class_name?: string };
  const className = topology.class_name ?? '';
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[className] as [unknown, FromConfig] | undefined;
  if (!registered) throw new Error(`unknown layers model class "${className}"`);
  const [cls, fromConfig] = registered;
  let model: Tf.LayersModel | undefined;
  // A nested model of the same class is built first; the outermost call returns last.
  const keep: FromConfig = (...args) => (model = fromConfig(...args) as Tf.LayersModel);
  const pending = tf.models.modelFromJSON({ modelTopology: artifacts.modelTopology } as never, { [className]: [cls, keep] } as never);
  // A failure leaves `model` unset; it is not expected, since the host loaded these same artifacts.
  pending.catch(() => {});
  if (!model) throw new Error(`tfjs could not build the ${className} model synchronously`);
  const { buffer, byteOffset, byteLength } = artifacts.weightData;
  const whole = byteOffset === 0 && byteLength === buffer.byteLength ? buffer : buffer.slice(byteOffset, byteOffset + byteLength);
  const weights = tf.io.decodeWeights(whole as ArrayBuffer, artifacts.weightSpecs);
  try {
    const byName: Tf.NamedTensorMap = {};
    for (const weight of model.weights) byName[weight.originalName] = weights[weight.originalName]!;
    model.loadWeights(byName);
  } finally {
    tf.dispose(Object.values(weights));
  }
  return model;
}
