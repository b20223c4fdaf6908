/**
 * Format sniffing for `autodetect` loads and for choosing a backend: looks at the first bytes of a
 * file or at a folder's entries. Backends refine this with their own `detect`.
 */
import { open, readdir, stat } from 'node:fs/promises';
import type { FormatProbe, GraphEncoding } from './backend.js';
import { NnError } from './errors.js';

export interface SniffedFormat {
  /** gguf | onnx | genai-folder | tfjs-model | pmml | json | tar | url | unknown */
  format: string;
  encoding?: GraphEncoding;
}

const HEAD_BYTES = 4096;

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

/** Whether a model "path" is a server address (`--model big=https://host:port,backend=remote,…`). */
export function isModelUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/**
 * Builds the probe backends see, from a host path; `not-found` if it does not exist. A URL is not
 * read: its probe (format `url`) is for backends that serve models over the network.
 */
export async function probePath(path: string): Promise<FormatProbe> {
  if (isModelUrl(path)) return { path, isDirectory: false, head: new Uint8Array(), format: 'url' };
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new NnError('not-found', `model file not found: ${path}`);
  }
  if (info.isDirectory()) {
    const entries = await readdir(path);
    return { path, isDirectory: true, entries, head: new Uint8Array(), format: sniffFolder(entries).format };
  }
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(Math.min(HEAD_BYTES, info.size));
    await file.read(head, 0, head.length, 0);
    return { path, isDirectory: false, head, format: sniffBytes(head).format };
  } finally {
    await file.close();
  }
}

/** The encoding a probe suggests, if any (used to resolve `autodetect`). */
export function encodingOf(probe: FormatProbe): GraphEncoding | undefined {
  const sniffed = probe.isDirectory ? sniffFolder(probe.entries ?? []) : sniffBytes(probe.head);
  return sniffed.encoding;
}
