/**
 * tfjs model files on disk: IO handlers that read `model.json` and its weight shards from a folder,
 * and a save handler that writes them (the parts that need no disk are in model-json.ts).
 */
import { NnError } from '@wacs/core/backend';
import type { io } from '@tensorflow/tfjs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { TfModule } from './engine-select.js';
import { artifactsFor, parseModelJson, type ModelFiles, type ModelJson } from './model-json.js';

export { modelKind, parseModelJson, readModelBytes, type ModelJson, type ModelKind } from './model-json.js';

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
export async function readModelFiles(path: string): Promise<ModelFiles> {
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
