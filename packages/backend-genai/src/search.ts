/**
 * Search options: genai_config.json's `search` section, overridden by graph options
 * (`--model name=folder,temperature=0.7`) and then by a compute's `metadata` JSON. Keys use
 * onnxruntime-genai's names.
 */
import { NnError } from '@wacs/core/backend';
import { randomInt } from 'node:crypto';
import type { SearchDefaults } from './config.js';
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

/** The search keys a graph option or metadata may set, with how each is read. */
const KEYS: Record<string, (settings: SearchSettings, value: unknown, what: string) => void> = {
  do_sample: (s, v, w) => (s.doSample = bool(v, w)),
  min_length: (s, v, w) => (s.minLength = int(v, w, 0)),
  max_length: (s, v, w) => (s.maxLength = int(v, w, 1)),
  max_new_tokens: (s, v, w) => (s.maxNewTokens = int(v, w, 0)),
  temperature: (s, v, w) => (s.temperature = num(v, w, 0)),
  top_k: (s, v, w) => (s.topK = int(v, w, 0)),
  top_p: (s, v, w) => (s.topP = num(v, w, 0)),
  repetition_penalty: (s, v, w) => (s.repetitionPenalty = num(v, w, Number.MIN_VALUE)),
  random_seed: (s, v, w) => (s.randomSeed = int(v, w, -1)),
  seed: (s, v, w) => (s.randomSeed = int(v, w, -1)),
  num_beams: (_s, v, w) => {
    if (int(v, w, 1) !== 1) throw new NnError('unsupported-operation', `${w}: beam search is not implemented; num_beams must be 1`);
  },
  num_return_sequences: (_s, v, w) => {
    if (int(v, w, 1) !== 1) throw new NnError('unsupported-operation', `${w}: only one sequence per generation; num_return_sequences must be 1`);
  },
};

export const SEARCH_KEYS = Object.keys(KEYS);

function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new NnError('invalid-argument', `${what} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function num(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new NnError('invalid-argument', `${what} must be a number of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function int(value: unknown, what: string, min: number): number {
  const n = num(value, what, min);
  if (!Number.isInteger(n)) throw new NnError('invalid-argument', `${what} must be an integer, got ${n}`);
  return n;
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

/** Whether a key is a search option. */
export function isSearchKey(key: string): boolean {
  return key in KEYS;
}

/** A copy of `settings` with the search keys of `options` applied; `where` names the source in errors. */
export function withSearchOptions(settings: SearchSettings, options: Record<string, unknown>, where: string): SearchSettings {
  const out = { ...settings };
  for (const [key, value] of Object.entries(options)) {
    const apply = KEYS[key];
    if (!apply) throw new NnError('invalid-argument', `${where}: unknown option "${key}"; search options are ${SEARCH_KEYS.join(', ')}`);
    apply(out, value, `${where}: ${key}`);
  }
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
