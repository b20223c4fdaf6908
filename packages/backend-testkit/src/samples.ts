/**
 * Models a backend must not take for its own: garbage, and small but recognisable samples of the
 * formats core's sniffers know (GGUF, ONNX, PMML, tfjs, GenAI folders, JSON, plain text).
 */
import { type FormatProbe, probeBytes } from '@wacs/core/backend';
import { probePath } from '@wacs/core/backend/node';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ForeignSample } from './types.js';

/** Deterministic bytes that look like no format (the first byte rules out ONNX, GGUF, XML, JSON). */
export function garbageBytes(length = 1024, seed = 0x5eed): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  out[0] = 0xff;
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** GGUF v3 with no tensors and no metadata. */
function ggufHeader(): Uint8Array {
  const bytes = new Uint8Array(24);
  bytes.set(text('GGUF'));
  new DataView(bytes.buffer).setUint32(4, 3, true);
  return bytes;
}

/** ONNX ModelProto: ir_version 8, producer_name "wacs", an empty graph, opset 17. */
const ONNX_MODEL = Uint8Array.of(0x08, 0x08, 0x12, 0x04, ...text('wacs'), 0x3a, 0x00, 0x42, 0x02, 0x10, 0x11);

const PMML = `<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary numberOfFields="1"><DataField name="x" optype="continuous" dataType="double"/></DataDictionary>
</PMML>
`;

const TFJS_MODEL_JSON = JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [] });

interface BuiltinSample {
  label: string;
  /** A file's content, or a folder's entries. */
  file?: Uint8Array;
  folder?: Record<string, Uint8Array>;
  fileName?: string;
}

const BUILTIN: BuiltinSample[] = [
  { label: 'garbage bytes', file: garbageBytes(), fileName: 'garbage.bin' },
  { label: 'plain text', file: text('hello world\nthis is not a model\n'), fileName: 'notes.txt' },
  { label: 'GGUF header', file: ggufHeader(), fileName: 'model.gguf' },
  { label: 'ONNX model', file: ONNX_MODEL, fileName: 'model.onnx' },
  { label: 'PMML document', file: text(PMML), fileName: 'model.pmml' },
  { label: 'TensorFlow.js model.json', file: text(TFJS_MODEL_JSON), fileName: 'model.json' },
  { label: 'JSON document', file: text('{"hello": "world", "numbers": [1, 2, 3]}'), fileName: 'data.json' },
  { label: 'empty folder', folder: {} },
  { label: 'folder of text', folder: { 'notes.txt': text('hello world\n') } },
  { label: 'GenAI folder', folder: { 'genai_config.json': text('{"model": {}}') } },
  { label: 'TensorFlow.js folder', folder: { 'model.json': text(TFJS_MODEL_JSON) } },
];

export interface ProbedSample {
  label: string;
  probe: FormatProbe;
}

/**
 * Probes of every foreign sample, as the host would build them: byte samples both as guest bytes
 * and as files, folders as folders. Author-given samples come last.
 */
export async function foreignProbes(dir: string, extra: ForeignSample[] = []): Promise<ProbedSample[]> {
  const probes: ProbedSample[] = [];
  for (const [i, sample] of BUILTIN.entries()) {
    const path = join(dir, `${i}`);
    if (sample.file) {
      await mkdir(path, { recursive: true });
      const file = join(path, sample.fileName!);
      await writeFile(file, sample.file);
      probes.push({ label: `${sample.label} (bytes)`, probe: probeBytes([sample.file]) });
      probes.push({ label: `${sample.label} (file ${sample.fileName})`, probe: await probePath(file) });
    } else {
      await mkdir(path, { recursive: true });
      for (const [name, content] of Object.entries(sample.folder!)) await writeFile(join(path, name), content);
      probes.push({ label: sample.label, probe: await probePath(path) });
    }
  }
  for (const sample of extra) {
    if (sample.bytes) probes.push({ label: `${sample.label} (bytes)`, probe: probeBytes([sample.bytes]) });
    if (sample.path) probes.push({ label: `${sample.label} (path)`, probe: await probePath(sample.path) });
  }
  return probes;
}

/**
 * A garbage stand-in for a model path: a file of garbage named like the model file, or for a
 * folder model a folder with the same entry names, each file garbage (so the backend gets past
 * "is this my kind of folder" and has to parse).
 */
export async function garbageLike(modelPath: string, isDirectory: boolean, dir: string): Promise<string> {
  const target = join(dir, basename(modelPath));
  if (!isDirectory) {
    await mkdir(dir, { recursive: true });
    await writeFile(target, garbageBytes());
    return target;
  }
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(modelPath, { withFileTypes: true })) {
    if (entry.isDirectory()) await mkdir(join(target, entry.name));
    else await writeFile(join(target, entry.name), garbageBytes(256));
  }
  return target;
}
