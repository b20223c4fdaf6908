/**
 * The generation loop: prefill the prompt in one decoder run, then one run per new token, each
 * feeding the previous run's KV cache back in (see Sequence). Stops at an EOS id or at max_length.
 */
import { NnError } from '@wacs/core';
import { lastLogits, type DecoderModel } from './decoder.js';
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

/** Yields each generated token id (EOS excluded); returns why it stopped. */
export async function* generate(model: DecoderModel, promptIds: readonly number[], settings: SearchSettings): AsyncGenerator<number, StopReason> {
  checkPrompt(model, promptIds);
  const { maxLength, minLength, sampling } = resolveSearch(settings, promptIds.length, model.config.contextLength);
  if (promptIds.length >= maxLength) return 'length';
  const eos = new Set(model.config.eosTokenIds);
  const sampler = new Sampler(sampling, model.vocabSize);
  sampler.observe(promptIds);

  const sequence = await Sequence.start(model);
  // fp16 logits are widened into this one buffer, reused every step.
  const scratch = new Float32Array(model.vocabSize);
  let logits = lastLogits(await sequence.feed(promptIds), model.vocabSize, scratch);
  for (let length = promptIds.length; ; ) {
    if (length < minLength) for (const id of eos) if (id < logits.length) logits[id] = -Infinity;
    const token = sampler.pick(logits);
    if (eos.has(token)) return 'eos';
    yield token;
    length++;
    if (length >= maxLength) return 'length';
    sampler.observe([token]);
    logits = lastLogits(await sequence.feed([token]), model.vocabSize, scratch);
  }
}
