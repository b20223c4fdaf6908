/**
 * The genai backend's options, declared with core's option kit: session threads when the model
 * loads, and onnxruntime-genai's search keys (defaults from genai_config.json's `search` section),
 * which graph options (`--model name=folder,temperature=0.7`) and then a compute's metadata override.
 */
import { availableParallelism } from 'node:os';
import { defineOptions, type OptionValues } from '@wacs/core/backend';

const onlyOne = (what: string) => (n: number) => (n === 1 ? undefined : `1 (${what})`);

export const genaiOptions = defineOptions(
  'genai',
  {
    threads: { type: 'threads', when: 'load', doc: 'intra-op threads of the decoder session (0: onnxruntime chooses; default: genai_config.json\'s)' },
    do_sample: { type: 'boolean', when: 'compute', doc: 'sample (top_k, top_p, temperature) instead of greedy search' },
    min_length: { type: 'integer', when: 'compute', min: 0, doc: 'total length (prompt included) before end of text may stop generation' },
    max_length: { type: 'integer', when: 'compute', min: 1, doc: 'total length, prompt included (at most the context length)' },
    max_new_tokens: { type: 'integer', when: 'compute', min: 0, doc: 'tokens to generate at most after the prompt' },
    temperature: { type: 'number', when: 'compute', min: 0, doc: 'sampling temperature' },
    top_k: { type: 'integer', when: 'compute', min: 0, doc: 'sample among the k most likely tokens' },
    top_p: { type: 'number', when: 'compute', min: 0, doc: 'nucleus sampling threshold' },
    repetition_penalty: { type: 'number', when: 'compute', min: Number.MIN_VALUE, doc: 'penalty for tokens already generated; 1: none' },
    random_seed: { type: 'integer', when: 'compute', min: -1, doc: 'sampling seed; -1: a fresh one each generation' },
    seed: { type: 'integer', when: 'compute', min: -1, doc: 'the same as random_seed' },
    num_beams: { type: 'integer', when: 'compute', min: 1, doc: 'beams of beam search (not implemented: 1)', check: onlyOne('beam search is not implemented') },
    num_return_sequences: { type: 'integer', when: 'compute', min: 1, doc: 'sequences per generation (1)', check: onlyOne('one sequence per generation') },
    chat: { type: 'boolean', when: 'compute', default: false, doc: 'the prompt is a user message (or a JSON list of messages) for the chat template' },
    generate: { type: 'boolean', when: 'compute', default: false, doc: 'generate from input_ids instead of returning their logits' },
  },
  { cores: availableParallelism },
);

export type GenaiOptions = OptionValues<typeof genaiOptions.specs>;
