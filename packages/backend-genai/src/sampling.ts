/**
 * Choosing the next token from logits: greedy, or sampling with temperature, top-k, top-p and a
 * seeded generator (the same seed and options give the same tokens), after an optional repetition
 * penalty. Ties always go to the lower token id, so top-k 1 is exactly greedy.
 */
import { argmaxF32 } from './argmax.js';

export interface SamplingOptions {
  doSample: boolean;
  temperature: number;
  /** 0: no top-k filter. */
  topK: number;
  /** Outside (0, 1): no nucleus filter. */
  topP: number;
  /** 1: none. >1 makes tokens already in the sequence less likely (CTRL / Hugging Face rule). */
  repetitionPenalty: number;
  seed: number;
}

/** xoshiro128** seeded through splitmix32: small, fast, and the same stream on every platform. */
export class Random {
  private readonly s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** A float in [0, 1). */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result / 2 ** 32;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Index of the largest value; the lowest index among equals; NaN never wins. */
export function argmax(values: Float32Array): number {
  return argmaxF32(values);
}

/** Whether token a ranks before token b: higher logit first, then lower id. */
function before(logits: Float32Array, a: number, b: number): boolean {
  return logits[a]! > logits[b]! || (logits[a] === logits[b] && a < b);
}

/** The ids of the k best logits, best first (a bounded heap: O(V log k)). */
export function topK(logits: Float32Array, k: number): number[] {
  // Min-heap on rank: the root is the worst of the kept ones.
  const heap: number[] = [];
  const worse = (a: number, b: number) => before(logits, b, a);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let id = 0; id < logits.length; id++) {
    if (heap.length < k) {
      heap.push(id);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[p]!)) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    } else if (before(logits, id, heap[0]!)) {
      heap[0] = id;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (before(logits, a, b) ? -1 : 1));
}

export class Sampler {
  private readonly random: Random;
  /** Tokens in the sequence so far, for the repetition penalty. */
  private readonly seen: Uint8Array;
  private readonly seenList: number[] = [];

  constructor(
    private readonly options: SamplingOptions,
    vocabSize: number,
  ) {
    this.random = new Random(options.seed);
    this.seen = new Uint8Array(vocabSize);
  }

  /** Whether the choice is a plain argmax of the raw logits (no sampling, no penalty). */
  get greedy(): boolean {
    return (!this.options.doSample || this.options.temperature <= 0) && this.options.repetitionPenalty === 1;
  }

  /** Records tokens of the sequence (the prompt, then each chosen token). */
  observe(tokens: Iterable<number>): void {
    if (this.options.repetitionPenalty === 1) return;
    for (const t of tokens) {
      if (t < this.seen.length && !this.seen[t]) {
        this.seen[t] = 1;
        this.seenList.push(t);
      }
    }
  }

  /** Picks the next token; `logits` may be modified (it is the caller's scratch copy or ORT's output). */
  pick(logits: Float32Array): number {
    const { repetitionPenalty, doSample, temperature, topK: k, topP } = this.options;
    if (repetitionPenalty !== 1) {
      for (const t of this.seenList) {
        const l = logits[t]!;
        logits[t] = l < 0 ? l * repetitionPenalty : l / repetitionPenalty;
      }
    }
    if (!doSample || temperature <= 0) return argmax(logits);

    const candidates = k > 0 && k < logits.length ? topK(logits, k) : topK(logits, logits.length);
    const max = logits[candidates[0]!]!;
    const weights = new Float64Array(candidates.length);
    let sum = 0;
    for (let i = 0; i < candidates.length; i++) {
      sum += weights[i] = Math.exp((logits[candidates[i]!]! - max) / temperature);
    }
    let count = candidates.length;
    if (topP > 0 && topP < 1) {
      // Keep the smallest prefix whose probability reaches top_p (always at least one token).
      let cumulative = 0;
      for (let i = 0; i < candidates.length; i++) {
        cumulative += weights[i]! / sum;
        if (cumulative >= topP) {
          count = i + 1;
          break;
        }
      }
      sum = 0;
      for (let i = 0; i < count; i++) sum += weights[i]!;
    }
    let r = this.random.next() * sum;
    for (let i = 0; i < count; i++) {
      r -= weights[i]!;
      if (r < 0) return candidates[i]!;
    }
    return candidates[count - 1]!;
  }
}
