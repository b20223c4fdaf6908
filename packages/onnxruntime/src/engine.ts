/** onnxruntime-node, loaded on first use so that binding a backend costs nothing until a model loads. */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { Tensor } from '@wacs/core/backend';
import { toOrtTensorWith, type OnnxElementType } from './tensors.js';

export type OrtModule = typeof Ort;

let engine: Promise<OrtModule> | undefined;

export function ort(): Promise<OrtModule> {
  // onnxruntime-node is CommonJS: its exports are the ESM default.
  return (engine ??= import('onnxruntime-node').then((m) => m.default as OrtModule));
}

/** Makes an onnxruntime-node tensor from a guest tensor (see `toOrtTensorWith`). */
export async function toOrtTensor(name: string, tensor: Tensor, expected?: OnnxElementType): Promise<OrtTensor> {
  return toOrtTensorWith(await ort(), name, tensor, expected);
}

/** The part of onnxruntime-node's native session (dist/binding.js) whose `run` is synchronous. */
export interface NativeSession {
  loadModel(path: string, options: InferenceSession.SessionOptions): void;
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: InferenceSession.SessionOptions): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

export interface NativeEngine {
  ort: OrtModule;
  Session: new () => NativeSession;
}

let native: NativeEngine | undefined;

/**
 * onnxruntime-node loaded synchronously, with its native session class: for a thread that cannot
 * wait for the event loop (a guest's worker blocked in compute), where the public `run` never settles.
 */
export function nativeEngine(): NativeEngine {
  if (native) return native;
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as OrtModule;
  const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as { binding?: { InferenceSession?: unknown }; initOrt?: () => void };
  if (typeof binding?.InferenceSession !== 'function' || typeof initOrt !== 'function') {
    throw new Error('this onnxruntime-node has no native session binding where 1.30 has it (dist/binding.js)');
  }
  initOrt();
  return (native = { ort, Session: binding.InferenceSession as NativeEngine['Session'] });
}

/** Loads onnxruntime-node and creates its environment: the backends' `startEngine`. */
export async function startOrt(): Promise<void> {
  nativeEngine();
}
