/**
 * Opening onnxruntime sessions for a load request: where the model comes from (a file, or a
 * guest's bytes, which may not name host files), the session options, and the execution providers
 * the target maps to.
 */
import { concatBytes, NnError, type ExecutionTarget, type LoadRequest } from '@wacs/core/backend';
import { existsSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { ort, type OrtModule } from './engine.js';
import { usesExternalData } from './external-data.js';
import { ProtoError } from './proto.js';
import { createWithProviders } from './providers.js';
import { ortSessionOptions, type SessionSettings } from './session-options.js';

/** Where a session's model comes from. `folder` is where external data lives for in-memory models. */
export type ModelOrigin = { kind: 'path'; path: string } | { kind: 'bytes'; bytes: Uint8Array; folder?: string };

/** A failure to load, as the guest sees it: a model onnxruntime cannot parse is `invalid-encoding`. */
export function loadError(e: unknown, what = 'the model'): NnError {
  if (e instanceof NnError) return e;
  const message = String((e as Error).message ?? e).trim();
  const code = /protobuf|parse|invalid model|ModelProto|Unsupported model IR version/i.test(message) ? 'invalid-encoding' : 'runtime-error';
  return new NnError(code, `onnxruntime could not load ${what}: ${message}`, undefined, { cause: e });
}

/** onnxruntime's options for a session of `origin` (providers are chosen separately). */
export function originSessionOptions(origin: ModelOrigin, settings: SessionSettings): InferenceSession.SessionOptions {
  const base = ortSessionOptions(settings);
  if (origin.kind === 'bytes' && origin.folder) {
    // Loaded from memory, onnxruntime would look for external data in the working directory.
    const session = (base.extra?.session ?? {}) as Record<string, unknown>;
    base.extra = { ...base.extra, session: { ...session, model_external_initializers_file_folder_path: origin.folder } };
  }
  return base;
}

/** A session of `origin` on the providers for `target` (or those the settings name). */
export async function openSession(
  engine: OrtModule,
  origin: ModelOrigin,
  settings: SessionSettings,
  target: ExecutionTarget,
): Promise<{ session: InferenceSession; providers: string[] }> {
  const base = originSessionOptions(origin, settings);
  const create = (options: InferenceSession.SessionOptions) =>
    origin.kind === 'path' ? engine.InferenceSession.create(origin.path, options) : engine.InferenceSession.create(origin.bytes, options);
  try {
    return await createWithProviders(create, base, target, settings.providers);
  } catch (e) {
    throw loadError(e);
  }
}

/** Where a load request's model is; guest bytes that use external data are refused. */
export function modelOrigin(request: LoadRequest): ModelOrigin {
  if (request.source.kind === 'path') {
    if (!existsSync(request.source.path)) throw new NnError('not-found', `model file not found: ${request.source.path}`);
    return { kind: 'path', path: request.source.path };
  }
  const bytes = concatBytes(request.source.builders);
  let external;
  try {
    external = usesExternalData(bytes);
  } catch (e) {
    if (e instanceof ProtoError) throw new NnError('invalid-encoding', `the model is not a valid ONNX protobuf: ${e.message}`);
    throw e;
  }
  // External data names host files; a guest's model must not make the engine read them.
  if (external) {
    throw new NnError('invalid-argument', 'a model loaded from guest bytes cannot use external data (it names host files): embed the weights, or have the host register the model by name');
  }
  return { kind: 'bytes', bytes };
}

/** An InferenceSession for a load request, with session settings the backend has checked. */
export async function createSession(request: LoadRequest, settings: SessionSettings = {}): Promise<InferenceSession> {
  return (await openSession(await ort(), modelOrigin(request), settings, request.target)).session;
}
