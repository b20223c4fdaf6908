/**
 * A structural check of a GGUF file before node-llama-cpp parses it. Model bytes can come from an
 * untrusted guest, and a header with absurd counts or lengths makes GGUF parsers allocate without
 * bound (22 bytes of 'GGUF', version 3 and garbage counts grew node-llama-cpp's reader past 6 GB). This walks the
 * metadata and tensor infos with every count and length checked against the bytes left in the
 * file, so each step consumes bytes and the walk is bounded by the file size. Tensor data bounds
 * are left to llama.cpp, which checks them. It also refuses what llama.cpp asserts on, which aborts
 * the whole process: a vocabulary that repeats a token, a tensor dimension of 0, and a model whose
 * architecture sizes (block count, embedding length, head count, …) are missing or 0.
 */
import { NnError } from '@wacs/core/backend';
import { open, type FileHandle } from 'node:fs/promises';

/** GGUF value types → fixed size in bytes (string = 8, array = 9 are variable). */
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** Smallest possible metadata entry (empty key, type, one byte) and tensor info (empty name, 0 dims, type, offset). */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

export interface GgufHeader {
  version: number;
  tensorCount: number;
  metadataCount: number;
}

function invalid(message: string): NnError {
  return new NnError('invalid-encoding', `not a valid GGUF model: ${message}`);
}

/** Reads a file forwards through a 1 MiB window. */
class Reader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  position = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  get remaining(): number {
    return this.size - this.position;
  }

  private async ensure(bytes: number, what: string): Promise<void> {
    if (bytes > this.remaining) throw invalid(`${what} runs past the end of the file (truncated or corrupt)`);
    const end = this.position + bytes;
    if (end <= this.bufferStart + this.buffer.length) return;
    const length = Math.max(bytes, Math.min(1 << 20, this.remaining));
    this.buffer = Buffer.alloc(length);
    this.bufferStart = this.position;
    await this.file.read(this.buffer, 0, length, this.position);
  }

  async u32(what: string): Promise<number> {
    await this.ensure(4, what);
    const v = this.buffer.readUInt32LE(this.position - this.bufferStart);
    this.position += 4;
    return v;
  }

  async u64(what: string): Promise<number> {
    await this.ensure(8, what);
    const v = this.buffer.readBigUInt64LE(this.position - this.bufferStart);
    this.position += 8;
    // Anything past 2^53 is past the end of any file, which the callers' bound checks catch.
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  async skip(bytes: number, what: string): Promise<void> {
    if (bytes > this.remaining) throw invalid(`${what} runs past the end of the file (truncated or corrupt)`);
    this.position += bytes;
  }

  async string(what: string): Promise<void> {
    await this.skip(await this.u64(`${what} length`), what);
  }

  async text(what: string): Promise<string> {
    const length = await this.u64(`${what} length`);
    await this.ensure(length, what);
    const start = this.position - this.bufferStart;
    this.position += length;
    return this.buffer.toString('utf8', start, start + length);
  }
}

const VOCABULARY_KEY = 'tokenizer.ggml.tokens';
const ARCHITECTURE_KEY = 'general.architecture';
/** Sizes llama.cpp builds tensor shapes from; absent (it then takes 0) or 0 makes it assert. Prefixed by the architecture. */
const REQUIRED_SIZES = ['block_count', 'embedding_length', 'attention.head_count'];
/** Architectures without attention heads. */
const NO_ATTENTION = new Set(['mamba', 'mamba2', 'rwkv6', 'rwkv6qwen2', 'rwkv7', 'arwkv7']);
const UINT32 = 4;
const UINT64 = 10;

/** Reads the vocabulary array and refuses a repeated token (llama.cpp's GGML_ASSERT on it aborts the process). */
async function checkVocabulary(reader: Reader): Promise<void> {
  const itemType = await reader.u32(`${VOCABULARY_KEY} item type`);
  const count = await reader.u64(`${VOCABULARY_KEY} item count`);
  if (itemType !== STRING) throw invalid(`${VOCABULARY_KEY} is not an array of strings`);
  if (count * 8 > reader.remaining) throw invalid(`${VOCABULARY_KEY} claims ${count} tokens, more than the file holds`);
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const token = await reader.text(`${VOCABULARY_KEY} token ${i}`);
    if (seen.has(token)) throw invalid(`the vocabulary repeats the token ${JSON.stringify(token)} (token ${i})`);
    seen.add(token);
  }
}

async function skipValue(reader: Reader, type: number, what: string, depth = 0): Promise<void> {
  if (type === STRING) return reader.string(what);
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) return reader.skip(fixed, what);
  if (type !== ARRAY) throw invalid(`${what} has unknown value type ${type}`);
  if (depth > 2) throw invalid(`${what} nests arrays too deeply`);
  const itemType = await reader.u32(`${what} item type`);
  const count = await reader.u64(`${what} item count`);
  const itemFixed = FIXED_SIZE[itemType];
  if (itemFixed !== undefined) return reader.skip(count * itemFixed, what);
  // Variable-size items take at least 8 bytes (a length) each.
  if (count * 8 > reader.remaining) throw invalid(`${what} claims ${count} items, more than the file holds`);
  for (let i = 0; i < count; i++) await skipValue(reader, itemType, what, depth + 1);
}

/** Checks the header, metadata and tensor infos of a GGUF file; throws NnError with the reason. */
export async function checkGguf(path: string): Promise<GgufHeader> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NnError(code === 'ENOENT' ? 'not-found' : 'runtime-error', `cannot open the model file ${path}: ${code ?? (e as Error).message}`);
  }
  try {
    const reader = new Reader(file, (await file.stat()).size);
    if (reader.size < 8) throw invalid(`the file has only ${reader.size} bytes`);
    const magic = Buffer.alloc(4);
    await file.read(magic, 0, 4, 0);
    if (magic.toString('latin1') !== 'GGUF') {
      throw new NnError('invalid-encoding', `not a GGUF model: the file starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF"`);
    }
    await reader.skip(4, 'magic');
    const version = await reader.u32('version');
    if (version === 1) {
      throw new NnError('invalid-encoding', 'GGUF version 1 is not supported by llama.cpp; convert the model again with a current llama.cpp (GGUF v3)');
    }
    if (version !== 2 && version !== 3) throw invalid(`unknown GGUF version ${version} (llama.cpp reads versions 2 and 3)`);
    const tensorCount = await reader.u64('tensor count');
    const metadataCount = await reader.u64('metadata count');
    if (tensorCount * MIN_TENSOR_INFO_BYTES + metadataCount * MIN_KV_BYTES > reader.remaining) {
      throw invalid(`the header claims ${tensorCount} tensors and ${metadataCount} metadata entries, more than the file holds`);
    }
    let architecture: string | undefined;
    const sizes = new Map<string, number>();
    for (let i = 0; i < metadataCount; i++) {
      const key = await reader.text(`metadata key ${i}`);
      const type = await reader.u32(`metadata ${i} type`);
      if (key === VOCABULARY_KEY && type === ARRAY) await checkVocabulary(reader);
      else if (key === ARCHITECTURE_KEY && type === STRING) architecture = await reader.text(key);
      else if (type === UINT32) sizes.set(key, await reader.u32(key));
      else if (type === UINT64) sizes.set(key, await reader.u64(key));
      else await skipValue(reader, type, `metadata entry ${i} (${key})`);
    }
    if (architecture === undefined) throw invalid(`it has no ${ARCHITECTURE_KEY}`);
    for (const size of REQUIRED_SIZES) {
      if (size.startsWith('attention.') && NO_ATTENTION.has(architecture)) continue;
      const key = `${architecture}.${size}`;
      if (!sizes.get(key)) throw invalid(`${key} is ${sizes.has(key) ? '0' : 'missing'}`);
    }
    for (let i = 0; i < tensorCount; i++) {
      await reader.string(`tensor ${i} name`);
      const dims = await reader.u32(`tensor ${i} rank`);
      if (dims > MAX_DIMS) throw invalid(`tensor ${i} has ${dims} dimensions (ggml allows ${MAX_DIMS})`);
      for (let d = 0; d < dims; d++) {
        // llama.cpp asserts on an empty dimension, which aborts the whole process.
        if ((await reader.u64(`tensor ${i} dimension ${d}`)) === 0) throw invalid(`tensor ${i} has a dimension of 0`);
      }
      await reader.skip(4 + 8, `tensor ${i} info`);
    }
    return { version, tensorCount, metadataCount };
  } finally {
    await file.close();
  }
}
