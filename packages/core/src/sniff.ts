/**
 * Format sniffing for `autodetect` loads and for choosing a backend: looks at the first bytes of a
 * model or at a folder's entries. Backends refine this with their own `detect`. Pure functions on
 * bytes and names (no file system), so the browser host uses them too; `detect.ts` adds host paths.
 */
import type { FormatProbe, GraphEncoding } from './backend.js';

export interface SniffedFormat {
  /** gguf | onnx | genai-folder | tfjs-model | pmml | json | tar | unknown */
  format: string;
  encoding?: GraphEncoding;
}

/** How many leading bytes of a model the sniffers look at. */
export const HEAD_BYTES = 4096;

function startsWith(head: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (head[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** ONNX ModelProto: field 1 (ir_version, varint) first, then one of the ModelProto fields. */
function looksLikeOnnx(head: Uint8Array): boolean {
  if (head[0] !== 0x08) return false;
  let i = 1;
  while (i < head.length && head[i]! & 0x80) i++;
  const nextTag = head[i + 1];
  return nextTag !== undefined && [0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72].includes(nextTag);
}

function textStart(head: Uint8Array): string {
  return new TextDecoder().decode(head.subarray(0, 512)).replace(/^\uFEFF/, '').trimStart();
}

export function sniffBytes(head: Uint8Array): SniffedFormat {
  if (startsWith(head, 'GGUF')) return { format: 'gguf', encoding: 'ggml' };
  if (looksLikeOnnx(head)) return { format: 'onnx', encoding: 'onnx' };
  if (head.length > 262 && startsWith(head.subarray(257), 'ustar')) return { format: 'tar' };
  const text = textStart(head);
  if (text.startsWith('<')) return /<PMML[\s>]/.test(text) ? { format: 'pmml' } : { format: 'xml' };
  if (text.startsWith('{')) {
    if (/"(modelTopology|weightsManifest|format)"\s*:/.test(text)) return { format: 'tfjs-model', encoding: 'tensorflow' };
    return { format: 'json' };
  }
  return { format: 'unknown' };
}

export function sniffFolder(entries: string[]): SniffedFormat {
  if (entries.includes('genai_config.json')) return { format: 'genai-folder', encoding: 'onnx' };
  if (entries.includes('model.json')) return { format: 'tfjs-model', encoding: 'tensorflow' };
  return { format: 'unknown' };
}

/** Builds the probe backends see, from bytes a guest passed. */
export function probeBytes(builders: Uint8Array[]): FormatProbe {
  const head = (builders[0] ?? new Uint8Array()).subarray(0, HEAD_BYTES);
  return { isDirectory: false, head, format: sniffBytes(head).format };
}

/** The encoding a probe suggests, if any (used to resolve `autodetect`). */
export function encodingOf(probe: FormatProbe): GraphEncoding | undefined {
  const sniffed = probe.isDirectory ? sniffFolder(probe.entries ?? []) : sniffBytes(probe.head);
  return sniffed.encoding;
}
