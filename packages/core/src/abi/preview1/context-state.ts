/** What the preview1 front end keeps in the guest's worker for each execution context. */
import type { LocalContext } from '../in-thread.js';
import type { NamedTensor, Tensor } from '../../tensor.js';

/** An input as set_input left it: a copy, or (borrowed) where it lies in guest memory. */
export type HeldInput = Tensor & { borrowedAt?: number };

/** What the worker keeps for one execution context. */
export interface ContextState {
  /** Inputs by index, kept across computes (witx inputs persist until set again). */
  inputs: Map<number, HeldInput>;
  /** A context on the graph's in-thread twin, when it has one: computes run here, not on the host. */
  local?: LocalContext;
  /** What get_output reads: the last compute's outputs, or the running stream's (see `streamOutputs`). */
  outputs?: NamedTensor[];
  /** Inputs were set, or a compute failed, since `outputs`: get_output asks the backend (see `peekOutputs`). */
  stale?: boolean;
  /** Set from the first compute_single until fini_single, set_input or compute. */
  stream?: {
    token?: NamedTensor[];
    text: Uint8Array[];
    /** Steps the host sent ahead (see `StreamSteps`); null is the end of the sequence. */
    ready: Array<NamedTensor[] | null>;
    /** False once a step failed: the host has dropped the stream, the next compute_single starts anew. */
    live: boolean;
  };
}

/**
 * While a stream runs, get_output sees what a plain compute would have given so far: output 0 is
 * the text of every token streamed (the GGML convention: output 0 is text), other outputs are the
 * latest token's (e.g. output 1, the token counts).
 */
export function streamOutputs(stream: NonNullable<ContextState['stream']>): NamedTensor[] {
  const [first, ...rest] = stream.token ?? [];
  const length = stream.text.reduce((n, chunk) => n + chunk.byteLength, 0);
  const text = new Uint8Array(length);
  let offset = 0;
  for (const chunk of stream.text) {
    text.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return [{ name: first?.name ?? '0', tensor: { type: 'U8', dimensions: [length], data: text } }, ...rest];
}
