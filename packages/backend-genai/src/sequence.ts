/**
 * One sequence on a decoder: the KV cache, the attention mask and the next position. `feed` runs the
 * decoder on new tokens (the whole prompt first, then one token per step) and keeps the model's
 * `present` outputs as the next step's `past` inputs, as they are: no copy on our side, so a step
 * costs what the model's own attention over the cache costs.
 */
import { NnError } from '@wacs/core/backend';
import { ort, type OrtTensor } from '@wacs/onnxruntime';
import { intArray, setInt, type DecoderModel, type IntArray } from './decoder.js';
import { initialStates } from './state.js';

/** First mask allocation; it doubles as the sequence grows (amortised O(1) per token). */
const INITIAL_MASK_CAPACITY = 256;

export class Sequence {
  /** Tokens fed so far: the cache holds exactly these. */
  readonly tokens: number[] = [];
  private mask?: IntArray;
  private nextPosition = 0;
  /** How many tokens at the start are left padding (masked, no position). */
  private leadingPads = 0;

  private constructor(
    private readonly model: DecoderModel,
    private cache: Record<string, OrtTensor>,
    private readonly Tensor: typeof OrtTensor,
  ) {}

  static async start(model: DecoderModel): Promise<Sequence> {
    const { Tensor } = await ort();
    return new Sequence(model, await model.emptyCache(), Tensor);
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Whether this sequence runs on `model`. */
  runsOn(model: DecoderModel): boolean {
    return this.model === model;
  }

  /**
   * Forgets every token after the first `length`: the cache keeps their keys and values (a copy of
   * that part, once), so a new prompt sharing them only feeds what differs.
   */
  truncate(length: number): void {
    if (length >= this.length) return;
    const { states } = this.model;
    // A convolution or recurrent state holds every token so far and cannot be cut back (onnxruntime-genai
    // refuses to rewind it too): start the sequence over instead.
    if (!states.rewindable) length = 0;
    if (length === 0) this.cache = initialStates(states, this.Tensor);
    else for (const slot of states.slots) this.cache[slot.past] = keepPositions(this.cache[slot.past]!, length, this.Tensor);
    this.tokens.length = length;
    this.leadingPads = Math.min(this.leadingPads, length);
    this.nextPosition = length - this.leadingPads;
  }

  private maskFor(total: number): IntArray {
    const type = this.model.maskType!;
    if (!this.mask || this.mask.length < total) {
      const capacity = Math.min(Math.max(INITIAL_MASK_CAPACITY, 2 * (this.mask?.length ?? 0), total), this.model.config.contextLength);
      const grown = intArray(type, capacity);
      if (this.mask) grown.set(this.mask as never);
      // Everything past the prompt is attended to: fill once, not per step.
      if (grown instanceof BigInt64Array) grown.fill(1n, this.mask?.length ?? 0);
      else grown.fill(1, this.mask?.length ?? 0);
      this.mask = grown;
    }
    return this.mask;
  }

  /**
   * Runs the decoder on `ids` after the cached tokens; returns the logits output (all new positions).
   * Pad tokens that start the prompt (left padding) are masked out and do not advance the position;
   * onnxruntime-genai masks every pad token of the prompt, but a pad id in the middle of a prompt is
   * usually a real token (e.g. `</s>` between chat turns), so it is attended to here.
   */
  async feed(ids: readonly number[]): Promise<OrtTensor> {
    const { config } = this.model;
    const past = this.length;
    const total = past + ids.length;
    if (ids.length === 0) throw new NnError('invalid-argument', 'no tokens to feed to the decoder');
    if (total > config.contextLength) {
      throw new NnError('invalid-argument', `the sequence would be ${total} tokens, over the model's context length of ${config.contextLength}`, 'context-full');
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
        throw new NnError('invalid-argument', `token id ${id} is outside the vocabulary (0 to ${config.vocabSize - 1})`);
      }
    }
    const { Tensor, model } = this;
    const io = config.decoder.inputs;
    let leadingPad = this.leadingPads === past;
    const feeds: Record<string, OrtTensor> = { ...this.cache };

    const idData = intArray(model.idType, ids.length);
    ids.forEach((id, i) => setInt(idData, i, id));
    feeds[io.inputIds] = new Tensor(model.idType, idData as never, [1, ids.length]);

    const positions = model.positionType ? intArray(model.positionType, ids.length) : undefined;
    const mask = model.maskType ? this.maskFor(total) : undefined;
    ids.forEach((id, i) => {
      const padding = (leadingPad &&= id === config.padTokenId);
      if (mask) setInt(mask, past + i, padding ? 0 : 1);
      if (positions) setInt(positions, i, padding ? 0 : this.nextPosition);
      if (!padding) this.nextPosition++;
    });
    const pads = leadingPad ? ids.length : ids.findIndex((id) => id !== config.padTokenId);
    if (positions) feeds[io.positionIds] = model.positionTensor(positions, ids.length, Tensor);
    if (mask) feeds[io.attentionMask] = new Tensor(model.maskType!, mask.subarray(0, total) as never, [1, total]);
    for (const [name, value] of [
      [io.pastSequenceLength, past],
      [io.totalSequenceLength, total],
    ] as const) {
      const input = name && model.lengthInput(name, value, Tensor);
      if (input) feeds[name!] = input;
    }

    const results = await model.run(feeds);
    model.stats.tokens += ids.length;
    this.cache = model.nextCache(results, this.cache);
    if (this.leadingPads === past) this.leadingPads += pads;
    this.tokens.push(...ids);
    return results[config.decoder.outputs.logits] as OrtTensor;
  }
}

/** A copy of a cache tensor ([…, sequence, head_size]) with only its first `length` positions. */
function keepPositions(tensor: OrtTensor, length: number, Tensor: typeof OrtTensor): OrtTensor {
  const dims = [...tensor.dims];
  const axis = dims.length - 2;
  const positions = dims[axis]!;
  const row = dims[axis + 1]!;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const source = tensor.data as Float32Array | Uint16Array;
  const kept = new (source.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(outer * length * row);
  for (let o = 0; o < outer; o++) kept.set(source.subarray(o * positions * row, (o * positions + length) * row), o * length * row);
  dims[axis] = length;
  return new Tensor(tensor.type as 'float32', kept as Float32Array, dims);
}
