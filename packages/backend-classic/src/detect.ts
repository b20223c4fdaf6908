/**
 * Which models this backend takes under Node: ONNX files with ai.onnx.ml nodes, PMML documents,
 * and ml.js JSON. ONNX and JSON files on disk are checked exactly (for ONNX, a walk over the
 * protobuf that seeks past weights); bytes from a guest through the first bytes core probed
 * (detect-head.ts).
 */
import type { FormatProbe } from '@wacs/core/backend';
import { open, readFile } from 'node:fs/promises';
import * as proto from '@wacs/onnxruntime/proto';
import { detectFromHead } from './detect-head.js';
import { ML_DOMAIN, readNode } from './onnx-ml/graph.js';
import { mljsName } from './mljs/models.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

interface FieldHeader {
  field: number;
  wire: number;
  /** Where the payload starts, and its length (0 for varints). */
  offset: number;
  length: number;
}

/** The field headers of the message in [start, end) of a file, without reading the payloads. */
async function* fileFields(file: FileHandle, start: number, end: number): AsyncGenerator<FieldHeader> {
  const buf = new Uint8Array(20);
  let pos = start;
  while (pos < end) {
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, end - pos), pos);
    let i = 0;
    const varint = (): number => {
      let value = 0;
      let scale = 1;
      while (i < bytesRead) {
        const b = buf[i++]!;
        value += (b & 0x7f) * scale;
        scale *= 128;
        if (!(b & 0x80)) return value;
      }
      throw new Error('truncated varint');
    };
    const tag = varint();
    const wire = tag % 8;
    const length = wire === 2 ? varint() : wire === 1 ? 8 : wire === 5 ? 4 : (varint(), 0);
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) throw new Error(`wire type ${wire}`);
    yield { field: Math.floor(tag / 8), wire, offset: pos + i, length };
    pos += i + length;
  }
}

async function readAt(file: FileHandle, header: FieldHeader): Promise<Uint8Array> {
  const buf = new Uint8Array(header.length);
  await file.read(buf, 0, header.length, header.offset);
  return buf;
}

/** Exact check of an ONNX file: ai.onnx.ml imported and used by a node of the main graph. */
export async function onnxFileIsMl(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const domains: string[] = [];
    let graph: FieldHeader | undefined;
    for await (const f of fileFields(file, 0, size)) {
      if (f.field === 8 && f.wire === 2) {
        for (const g of proto.fields(await readAt(file, f))) if (g.number === 1) domains.push(proto.text(g));
      } else if (f.field === 7 && f.wire === 2) graph = f;
    }
    if (!domains.includes(ML_DOMAIN) || !graph) return false;
    for await (const g of fileFields(file, graph.offset, graph.offset + graph.length)) {
      if (g.field !== 1 || g.wire !== 2) continue;
      const node = await readAt(file, g);
      if (readNode(node, node, false).domain === ML_DOMAIN) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    await file.close();
  }
}

export async function detectModel(probe: FormatProbe): Promise<boolean> {
  if (probe.isDirectory || !probe.path) return detectFromHead(probe);
  switch (probe.format) {
    case 'onnx':
      return onnxFileIsMl(probe.path);
    case 'json':
      try {
        return mljsName(JSON.parse(await readFile(probe.path, 'utf8'))) !== undefined;
      } catch {
        return false;
      }
    default:
      return detectFromHead(probe);
  }
}
