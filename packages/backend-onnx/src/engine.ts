/** onnxruntime-node, loaded on first use so that binding this backend costs nothing until a model loads. */
import type * as Ort from 'onnxruntime-node';

let engine: Promise<typeof Ort> | undefined;

export function ort(): Promise<typeof Ort> {
  // onnxruntime-node is CommonJS: its exports are the ESM default.
  return (engine ??= import('onnxruntime-node').then((m) => m.default as typeof Ort));
}
