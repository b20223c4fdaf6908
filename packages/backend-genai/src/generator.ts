/**
 * The generation loop: prefill the prompt in one decoder run, then one run per new token, each
 * feeding the previous run's KV cache back in (see Sequence). Stops at an EOS id or at max_length.
 */
import { NnError } from '@wacs/core/backend';
import { argmaxLastLogits, lastLogits, type DecoderModel } from './decoder.js';
import { Sampler } from './sampling.js';
import { resolveSearch, type SearchSettings } from './search.js';
import { Sequence } from './sequence.js';

export type StopReason = 'eos' | 'length';

/** Checks a prompt against the context before anything runs. */
export function checkPrompt(model: DecoderModel, promptIds: readonly number[]): void {
  const { contextLength } = model.config;
  if (promptIds.length === 0) throw new NnError('invalid-argument', 'the prompt is empty');
  if (promptIds.length >= contextLength) {
    throw new NnError(
      'invalid-argument',
      `the prompt is ${promptIds.length} tokens, but the model's context length is ${contextLength} (genai_config.json model.context_length), leaving no room to generate`,
      'prompt-too-long',
    );
  }
}

/** How many leading tokens two sequences share. */
function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * Yields each generated token id (EOS excluded); returns why it stopped. With a `sequence` from an
 * earlier generation, the part of its cache the prompt starts with is kept and only the rest of the
 * prompt is fed (a chat resending its conversation prefills just the new turn).
 */
export async function* generate(model: DecoderModel, promptIds: readonly number[], settings: SearchSettings, sequence?: Sequence): AsyncGenerator<number, StopReason> {
  checkPrompt(model, promptIds);
  const { maxLength, minLength, sampling } = resolveSearch(settings, promptIds.length, model.config.contextLength);
  if (promptIds.length >= maxLength) return 'length';
  const eos = new Set(model.config.eosTokenIds);
  const sampler = new Sampler(sampling, model.vocabSize);
  sampler.observe(promptIds);

  let fresh = promptIds;
  if (sequence?.runsOn(model)) {
    // Keep at least the last prompt token to feed: its logits choose the first new token.
    const keep = Math.min(sharedPrefix(sequence.tokens, promptIds), promptIds.length - 1);
    sequence.truncate(keep);
    // A stateful (conv/recurrent) sequence restarts rather than truncates: feed what it no longer holds.
    fresh = promptIds.slice(sequence.length);
  } else sequence = await Sequence.start(model);
  const vocab = model.vocabSize;
  // fp16 logits are widened into this one buffer, reused every step (greedy skips widening).
  const scratch = new Float32Array(vocab);
  let output = await sequence.feed(fresh);
  for (let length = promptIds.length; ; ) {
    let token: number;
    if (sampler.greedy && length >= minLength) token = argmaxLastLogits(output, vocab);
    else {
      const logits = lastLogits(output, vocab, scratch);
      if (length < minLength) for (const id of eos) if (id < vocab) logits[id] = -Infinity;
      token = sampler.pick(logits);
    }
    if (eos.has(token)) return 'eos';
    yield token;
    length++;
    if (length >= maxLength) return 'length';
    sampler.observe([token]);
    output = await sequence.feed([token]);
  }
}
