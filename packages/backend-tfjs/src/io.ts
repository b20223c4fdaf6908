/**
 * tfjs model files without the network: IO handlers that read `model.json` and its weight shards
 * from disk, or from the bytes a guest passed to `load`, and a save handler that writes them.
 *
 * Guest bytes take one of two forms:
 * - one graph builder holding a model.json with its weights embedded as `"weightData": "<base64>"`
 *   (the shards concatenated in weightsManifest order; `paths` are then ignored), as written by
 *   `embeddedModelJson`;
 * - several graph builders: model.json first, then its weight shards in weightsManifest order
 *   (like OpenVINO's [xml, bin] pair).
 */
import { NnError } from '@wacs/core/backend';
import type { io } from '@tensorflow/tfjs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { TfModule } from './engine.js';

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
async function artifactsFor(tf: TfModule, json: ModelJson, shards: (manifest: io.WeightsManifestConfig) => Promise<Uint8Array[]>): Promise<io.ModelArtifacts> {
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const data = json.weightData !== undefined ? [Buffer.from(json.weightData, 'base64')] : await shards(manifest);
    const weights = toArrayBuffer(data);
    const expected = expectedWeightBytes(specs);
    if (expected !== undefined && expected !== weights.byteLength) {
      throw new NnError('invalid-encoding', `the weights are ${weights.byteLength} bytes but the weightsManifest describes ${expected}`);
    }
    return [specs, weights];
  });
}

/** The model.json a by-name path points at: the path itself, or `model.json` inside a folder. */
export async function modelJsonPath(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new NnError('not-found', `TensorFlow.js model not found: ${path}`);
  }
  return info.isDirectory() ? join(path, 'model.json') : path;
}

async function readOrNotFound(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new NnError('not-found', `${what} ${path} could not be read: ${(e as Error).message}`);
  }
}

/** A shard path from the manifest, kept inside the model's folder. */
function shardPath(folder: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || isAbsolute(path)) {
    throw new NnError('invalid-encoding', `weight path "${path}" is not relative to model.json; only files beside it are read`);
  }
  const full = resolve(folder, path);
  const rel = relative(folder, full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new NnError('invalid-encoding', `weight path "${path}" leaves the model's folder`);
  return full;
}

/** Reads model.json and its shards from disk (the path is a model.json file or its folder). */
export async function readModelFiles(path: string): Promise<{ json: ModelJson; load: (tf: TfModule) => io.IOHandler }> {
  const file = await modelJsonPath(path);
  const json = parseModelJson(await readOrNotFound(file, 'model.json'), file);
  const folder = dirname(file);
  return {
    json,
    load: (tf) => ({
      load: () =>
        artifactsFor(tf, json, (manifest) =>
          Promise.all(manifest.flatMap((group) => group.paths).map((p) => readOrNotFound(shardPath(folder, p), 'weight shard'))),
        ),
    }),
  };
}

/** Reads a model from guest graph builders (see the file comment for the two forms). */
export function readModelBytes(builders: Uint8Array[]): { json: ModelJson; load: (tf: TfModule) => io.IOHandler } {
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

/** model.json for artifacts, with the weights either in one shard file or embedded. */
function modelJsonFor(artifacts: io.ModelArtifacts, weights: { path: string } | { embedded: ArrayBuffer }): ModelJson {
  const { modelTopology, format, generatedBy, convertedBy, trainingConfig, signature, userDefinedMetadata, modelInitializer, initializerSignature } = artifacts;
  const json: ModelJson = {
    modelTopology: modelTopology as object,
    weightsManifest: [{ paths: 'path' in weights ? [weights.path] : [], weights: artifacts.weightSpecs ?? [] }],
  };
  Object.assign(
    json,
    Object.fromEntries(
      Object.entries({ format, generatedBy, convertedBy, trainingConfig, signature, userDefinedMetadata, modelInitializer, initializerSignature }).filter(
        ([, v]) => v !== undefined,
      ),
    ),
  );
  if ('embedded' in weights) json.weightData = Buffer.from(weights.embedded).toString('base64');
  return json;
}

function joinedWeights(tf: TfModule, artifacts: io.ModelArtifacts): ArrayBuffer {
  return artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
}

/** A save handler writing `model.json` and `weights.bin` into `folder` (tfjs's file:// saver needs tfjs-node). */
export function folderSaveHandler(tf: TfModule, folder: string): io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies cannot be saved as model.json');
    const weights = joinedWeights(tf, artifacts);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'weights.bin'), new Uint8Array(weights));
    await writeFile(join(folder, 'model.json'), JSON.stringify(modelJsonFor(artifacts, { path: 'weights.bin' })));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
  });
}

/**
 * The single-JSON form a guest can pass to `load`: the model at `path` (a model.json or its folder)
 * with its shards embedded as base64 `weightData`.
 */
export async function embeddedModelJson(tf: TfModule, path: string): Promise<Uint8Array> {
  const { load } = await readModelFiles(path);
  const artifacts = await load(tf).load!();
  return new TextEncoder().encode(JSON.stringify(modelJsonFor(artifacts, { embedded: joinedWeights(tf, artifacts) })));
}
