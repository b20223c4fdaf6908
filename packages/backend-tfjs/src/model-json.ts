/**
 * tfjs model.json and its weights, wherever they come from (browser-safe; disk is io.ts): IO
 * handlers over the bytes a guest passed to `load`, or over a model.json URL and the shards beside it.
 *
 * Guest bytes take one of two forms:
 * - one graph builder holding a model.json with its weights embedded as `"weightData": "<base64>"`
 *   (the shards concatenated in weightsManifest order; `paths` are then ignored), as written by
 *   `embeddedModelJson`;
 * - several graph builders: model.json first, then its weight shards in weightsManifest order
 *   (like OpenVINO's [xml, bin] pair).
 */
import { fetchModelFile, NnError } from '@wacs/core/backend';
import type { io } from '@tensorflow/tfjs';
import type { TfModule } from './engine-select.js';

/** A model.json read, and the IO handler that loads it with its weights into tfjs. */
export interface ModelFiles {
  json: ModelJson;
  load: (tf: TfModule) => io.IOHandler;
}

/** model.json, optionally with its weights embedded. */
export type ModelJson = io.ModelJSON & { weightData?: string };

export type ModelKind = 'layers' | 'graph';

/** Layers models come from tf.LayersModel#save; graph models from tensorflowjs_converter (or by hand). */
export function modelKind(json: ModelJson): ModelKind {
  if (json.format === 'graph-model') return 'graph';
  if (json.format === 'layers-model') return 'layers';
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  if (topology && Array.isArray(topology.node)) return 'graph';
  if (topology && ('class_name' in topology || 'model_config' in topology)) return 'layers';
  throw new NnError('invalid-encoding', 'model.json is neither a layers model (modelTopology.class_name) nor a graph model (modelTopology.node)');
}

export function parseModelJson(bytes: Uint8Array | string, where: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw new NnError('invalid-encoding', `${where} is not valid JSON: ${(e as Error).message}`);
  }
  const model = json as Partial<ModelJson> | null;
  if (!model || typeof model !== 'object' || !model.modelTopology) {
    throw new NnError('invalid-encoding', `${where} has no modelTopology: it is not a TensorFlow.js model.json`);
  }
  if (model.weightsManifest !== undefined && !Array.isArray(model.weightsManifest)) {
    throw new NnError('invalid-encoding', `${where}: weightsManifest must be a list of weight groups`);
  }
  return { ...model, weightsManifest: model.weightsManifest ?? [] } as ModelJson;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Bytes the manifest needs, when it can be known up front (no quantization, no strings). */
function expectedWeightBytes(specs: io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const size = BYTES_PER_DTYPE[spec.dtype];
    if (spec.quantization || size === undefined) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

function toArrayBuffer(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out.buffer;
}

/** Turns model.json plus its weight bytes into artifacts, checking that the bytes fit the manifest. */
export async function artifactsFor(tf: TfModule, json: ModelJson, shards: (manifest: io.WeightsManifestConfig) => Promise<Uint8Array[]>): Promise<io.ModelArtifacts> {
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const data = json.weightData !== undefined ? [fromBase64(json.weightData)] : await shards(manifest);
    const weights = toArrayBuffer(data);
    const expected = expectedWeightBytes(specs);
    if (expected !== undefined && expected !== weights.byteLength) {
      throw new NnError('invalid-encoding', `the weights are ${weights.byteLength} bytes but the weightsManifest describes ${expected}`);
    }
    return [specs, weights];
  });
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Reads a model from guest graph builders (see the file comment for the two forms). */
export function readModelBytes(builders: Uint8Array[]): ModelFiles {
  const [first, ...shards] = builders;
  const json = parseModelJson(first ?? new Uint8Array(), 'graph builder 0');
  if (json.weightData !== undefined && typeof json.weightData !== 'string') {
    throw new NnError('invalid-encoding', 'weightData must be a base64 string');
  }
  return {
    json,
    load: (tf) => ({
      load: () =>
        artifactsFor(tf, json, async (manifest) => {
          const needsFiles = manifest.some((group) => group.weights.length > 0);
          if (needsFiles && shards.length === 0) {
            throw new NnError(
              'invalid-encoding',
              'model.json refers to weight files; embed them as "weightData" (base64) or pass them as further graph builders',
            );
          }
          return shards;
        }),
    }),
  };
}

/** Fetches model.json at `url` and, when tfjs loads it, the weight shards it names beside it (core's `fetchModelFile`). */
export async function fetchModelFiles(url: string): Promise<ModelFiles> {
  const json = parseModelJson(await fetchModelFile(url), url);
  return {
    json,
    load: (tf) => ({
      load: () => artifactsFor(tf, json, (manifest) => Promise.all(manifest.flatMap((group) => group.paths).map((path) => fetchModelFile(url, path)))),
    }),
  };
}
