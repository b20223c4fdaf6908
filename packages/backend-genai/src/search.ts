/**
 * Search settings: genai_config.json's `search` section, overridden by graph options
 * (`--model name=folder,temperature=0.7`) and then by a compute's `metadata` JSON (the keys, with
 * onnxruntime-genai's names, are declared in options.ts).
 */
import { NnError } from '@wacs/core/backend';
import { randomInt } from 'node:crypto';
import type { SearchDefaults } from './config.js';
import type { GenaiOptions } from './options.js';
import type { SamplingOptions } from './sampling.js';

export interface SearchSettings {
  doSample: boolean;
  minLength: number;
  /** Total length, prompt included (onnxruntime-genai's meaning). */
  maxLength: number;
  /** When set, the limit is the prompt plus this many tokens (whichever of the two limits comes first). */
  maxNewTokens?: number;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  /** -1: a fresh random seed for each generation. */
  randomSeed: number;
}

export function searchSettings(defaults: SearchDefaults): SearchSettings {
  if (defaults.numBeams !== 1) {
    throw new NnError('unsupported-operation', 'genai_config.json: search.num_beams is over 1, but beam search is not implemented');
  }
  return {
    doSample: defaults.doSample,
    minLength: defaults.minLength,
    maxLength: defaults.maxLength,
    temperature: defaults.temperature,
    topK: defaults.topK,
    topP: defaults.topP,
    repetitionPenalty: defaults.repetitionPenalty,
    randomSeed: defaults.randomSeed,
  };
}

/** A copy of `settings` with the search options among `options` applied. */
export function withSearchOptions(settings: SearchSettings, options: GenaiOptions): SearchSettings {
  const out = { ...settings };
  if (options.do_sample !== undefined) out.doSample = options.do_sample;
  if (options.min_length !== undefined) out.minLength = options.min_length;
  if (options.max_length !== undefined) out.maxLength = options.max_length;
  if (options.max_new_tokens !== undefined) out.maxNewTokens = options.max_new_tokens;
  if (options.temperature !== undefined) out.temperature = options.temperature;
  if (options.top_k !== undefined) out.topK = options.top_k;
  if (options.top_p !== undefined) out.topP = options.top_p;
  if (options.repetition_penalty !== undefined) out.repetitionPenalty = options.repetition_penalty;
  const seed = options.random_seed ?? options.seed;
  if (seed !== undefined) out.randomSeed = seed;
  return out;
}

/** The length limit and sampling options of one generation. */
export function resolveSearch(settings: SearchSettings, promptLength: number, contextLength: number): { maxLength: number; minLength: number; sampling: SamplingOptions } {
  let maxLength = Math.min(settings.maxLength, contextLength);
  if (settings.maxNewTokens !== undefined) maxLength = Math.min(maxLength, promptLength + settings.maxNewTokens);
  return {
    maxLength,
    minLength: settings.minLength,
    sampling: {
      doSample: settings.doSample,
      temperature: settings.temperature,
      topK: settings.topK,
      topP: settings.topP,
      repetitionPenalty: settings.repetitionPenalty,
      seed: settings.randomSeed === -1 ? randomInt(2 ** 32) : settings.randomSeed,
    },
  };
}
