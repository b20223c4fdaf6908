// The option kit: one spec, three sources (strict command line, lenient guest), the thread cap,
// and the input reader every text backend uses.
import { describe, expect, it } from 'vitest';
import { defineOptions, metadataObject, NnError, readInputs, readTextRequest, TEXT_INPUTS, tensorFrom, textTensor, type NamedTensor } from '../src/index.js';

const options = defineOptions(
  'demo',
  {
    threads: { type: 'threads', when: 'load', min: 1, doc: 'CPU threads' },
    'n-predict': { type: 'integer', when: 'compute', min: -1, default: -1, doc: 'tokens to generate', check: (v: number) => (v === 0 ? '-1 or at least 1' : undefined) },
    temp: { type: 'number', when: 'compute', min: 0, max: 2, doc: 'temperature' },
    mode: { type: 'choice', when: 'compute', choices: ['fast', 'exact'], doc: 'how to run' },
    outputs: { type: 'list', when: 'compute', doc: 'outputs to return' },
    chat: { type: 'boolean', when: 'compute', doc: 'chat template' },
    schema: { type: 'json-object', when: 'compute', doc: 'a JSON schema' },
  },
  { cores: () => 4, unsupported: { mmproj: 'no multimodal models' } },
);

function error(f: () => unknown): NnError {
  try {
    f();
  } catch (e) {
    if (e instanceof NnError) return e;
    throw e;
  }
  throw new Error('expected an NnError');
}

describe('option kit', () => {
  it('checks and converts every type, text from a --model spec included', () => {
    const { values } = options.parse({ threads: 2, 'n-predict': 5, temp: 0.5, mode: 'fast', outputs: 'a|b+c', chat: 'true', schema: { type: 'object' } }, 'command-line');
    expect(values).toEqual({ threads: 2, 'n-predict': 5, temp: 0.5, mode: 'fast', outputs: ['a', 'b', 'c'], chat: true, schema: '{"type":"object"}' });
  });

  it('splits a list given as text on its one separator when it names one (items may hold spaces)', () => {
    const names = defineOptions('demo', { classes: { type: 'list', when: 'load', separator: '|', doc: 'class names' } });
    expect(names.parse({ classes: 'Iris setosa | Iris virginica|x+y' }, 'command-line').values.classes).toEqual(['Iris setosa', 'Iris virginica', 'x+y']);
    expect(names.parse({ classes: ['a b', 'c'] }, 'command-line').values.classes).toEqual(['a b', 'c']);
  });

  it('keeps each of a strings option exactly as given: one string, or an array of them, never split or trimmed', () => {
    const stops = defineOptions('demo', { stop: { type: 'strings', when: 'compute', doc: 'stop sequences' } });
    expect(stops.parse({ stop: ' User 2: | x' }, 'command-line').values.stop).toEqual([' User 2: | x']);
    expect(stops.parse({ stop: ['\n\n', ' END'] }, 'metadata').values.stop).toEqual(['\n\n', ' END']);
    for (const wrong of [[], [''], ['a', 3], 7, { a: 'b' }]) {
      const e = error(() => stops.parse({ stop: wrong }, 'metadata'));
      expect(e.code).toBe('invalid-argument');
      expect(e.message).toContain('option "stop" must be a non-empty string or a non-empty JSON array of them');
    }
  });

  it('is strict with what the user typed: an unknown key lists the known keys, an unsupported one says why', () => {
    const unknown = error(() => options.parse({ tmep: 1 }, 'command-line'));
    expect(unknown.code).toBe('invalid-argument');
    expect(unknown.message).toBe('model option: unknown option "tmep"; the demo backend knows threads, n-predict, temp, mode, outputs, chat, schema');
    expect(error(() => options.parse({ mmproj: 'x' }, 'command-line')).message).toContain('"mmproj" is not supported by the demo backend (no multimodal models)');
  });

  it('is lenient with what a guest sent: unknown keys are ignored and reported, a wrong type still fails', () => {
    for (const source of ['guest-config', 'metadata'] as const) {
      const parsed = options.parse({ temp: 1, tmep: 1, mmproj: 'x' }, source);
      expect(parsed.values).toEqual({ temp: 1 });
      expect(parsed.ignored).toEqual(['tmep', 'mmproj']);
      const wrong = error(() => options.parse({ temp: 'hot' }, source));
      expect(wrong.code).toBe('invalid-argument');
      expect(wrong.message).toContain('option "temp" must be a number, got "hot" (temperature)');
    }
  });

  it('refuses a thread count over the machine\'s cores, from any source', () => {
    for (const source of ['command-line', 'guest-config', 'metadata'] as const) {
      const e = error(() => options.parse({ threads: 1024 }, source));
      expect(e.code).toBe('invalid-argument');
      expect(e.message).toContain('option "threads" 1024 is more threads than this machine\'s 4 cores');
    }
    expect(options.parse({ threads: 4 }, 'metadata').values.threads).toBe(4);
    expect(error(() => options.parse({ threads: 0 }, 'metadata')).message).toContain('"threads" must be at least 1');
    expect(error(() => options.parse({ threads: 1.5 }, 'metadata')).message).toContain('must be a whole number of threads');
  });

  it('will not declare a thread count without the cap', () => {
    expect(() => defineOptions('x', { threads: { type: 'threads', when: 'load', doc: 'threads' } })).toThrow('pass { cores }');
    expect(() => defineOptions('x', { intra_threads: { type: 'integer', when: 'load', doc: 'threads' } }, { cores: () => 2 })).toThrow('declare it with type "threads"');
  });

  it('checks ranges, choices and extra checks, naming the option', () => {
    expect(error(() => options.parse({ temp: 3 }, 'metadata')).message).toContain('"temp" must be at most 2');
    expect(error(() => options.parse({ 'n-predict': 0 }, 'metadata')).message).toContain('"n-predict" must be -1 or at least 1');
    expect(error(() => options.parse({ mode: 'slow' }, 'metadata')).message).toContain('"mode" must be one of fast, exact');
    expect(error(() => options.parse({ schema: '{no' }, 'metadata')).message).toContain('"schema" must be a JSON object');
    expect(error(() => options.parse({ chat: null }, 'metadata')).message).toContain('"chat" must be true or false');
  });

  it('reports a load-time key arriving per compute, with its value checked', () => {
    const parsed = options.parse({ threads: 2, temp: 0 }, 'metadata');
    expect(parsed.loadTime).toEqual(['threads']);
    expect(parsed.values).toEqual({ threads: 2, temp: 0 });
    expect(options.parse({ threads: 2 }, 'guest-config').loadTime).toEqual([]);
  });

  it('takes a load request\'s user options strictly and its guest config leniently, the guest\'s winning', () => {
    const parsed = options.parseLoad({ options: { threads: 1, temp: 0.5, bogus: 1 }, guestOptions: { temp: 0.5, bogus: 1 } });
    expect(parsed.values).toEqual({ threads: 1, temp: 0.5 });
    expect(parsed.ignored).toEqual(['bogus']);
    expect(() => options.parseLoad({ options: { bogus: 1 } })).toThrow('unknown option "bogus"');
  });

  it('clears with null only where the set says so', () => {
    const clearing = defineOptions('c', { temp: { type: 'number', when: 'compute', doc: 't' } }, { nullClears: true });
    expect(clearing.parse({ temp: null }, 'metadata')).toMatchObject({ values: {}, cleared: ['temp'] });
  });

  it('describes itself as plain data, the thread cap as the machine\'s', () => {
    const described = options.describe();
    expect(described[0]).toEqual({ name: 'threads', type: 'threads', when: 'load', min: 1, max: 4, doc: 'CPU threads' });
    expect(described[1]).toEqual({ name: 'n-predict', type: 'integer', when: 'compute', min: -1, default: -1, doc: 'tokens to generate' });
    expect(JSON.parse(JSON.stringify(described))).toEqual(described);
  });
});

describe('input reader', () => {
  const json = (value: unknown) => textTensor(JSON.stringify(value));
  const ids = tensorFrom('I64', [2], BigInt64Array.from([1n, 2n]));

  it('takes roles by name or by index', () => {
    const byName = readInputs([{ name: 'metadata', tensor: json({}) }, { name: 'prompt', tensor: textTensor('hi') }], TEXT_INPUTS, { backend: 'demo' });
    const byIndex = readInputs([{ name: '0', tensor: textTensor('hi') }, { name: '1', tensor: json({}) }], TEXT_INPUTS, { backend: 'demo' });
    for (const sorted of [byName, byIndex]) {
      expect(Object.keys(sorted.roles).sort()).toEqual(['metadata', 'prompt']);
      expect(new TextDecoder().decode(sorted.roles.prompt!.data)).toBe('hi');
    }
    expect(byIndex.names.prompt).toBe('0');
  });

  it('refuses an unknown input naming the roles, and a wrong type naming what the role holds', () => {
    expect(error(() => readInputs([{ name: 'x', tensor: textTensor('') }], TEXT_INPUTS, { backend: 'demo' })).message).toBe(
      'unknown input "x": the demo backend reads "prompt" (index 0) and "metadata" (index 1)',
    );
    expect(error(() => readInputs([{ name: 'prompt', tensor: ids }], TEXT_INPUTS, { backend: 'demo' })).message).toBe('input "prompt" must be U8 (UTF-8 text), got I64');
  });

  it('lets the type choose between roles that share an index, and keeps other inputs when asked', () => {
    const roles = { prompt: TEXT_INPUTS.prompt, input_ids: { index: 0, types: ['I64', 'I32'], what: 'token ids' }, metadata: { ...TEXT_INPUTS.metadata, typeDecides: true } } as const;
    expect(Object.keys(readInputs([{ name: '0', tensor: ids }], roles, { backend: 'demo' }).roles)).toEqual(['input_ids']);
    const f32: NamedTensor = { name: '1', tensor: tensorFrom('FP32', [1], Float32Array.of(1)) };
    expect(readInputs([f32], roles, { backend: 'demo', others: 'keep' }).others).toEqual([f32]);
    expect(error(() => readInputs([{ name: '0', tensor: f32.tensor }], roles, { backend: 'demo' })).message).toContain('must be U8 (prompt: UTF-8 text), or I64 or I32 (input_ids: token ids), got FP32');
  });

  it('reads a text request (prompt and metadata) through the same roles; the prompt may wait for outputs read before a compute', () => {
    const metadata = { name: '1', tensor: textTensor('{"temp":0}') };
    expect(readTextRequest([{ name: '0', tensor: textTensor('hi') }, metadata], 'demo')).toEqual({ prompt: 'hi', metadata: { temp: 0 } });
    expect(error(() => readTextRequest([metadata], 'demo')).message).toContain('no prompt');
    expect(readTextRequest([metadata], 'demo', { promptOptional: true })).toEqual({ prompt: undefined, metadata: { temp: 0 } });
    expect(error(() => readTextRequest([{ name: 'x', tensor: textTensor('?') }], 'demo')).message).toContain('the demo backend reads "prompt" (index 0) and "metadata" (index 1)');
  });

  it('reads metadata JSON: text that does not parse is invalid-encoding, a non-object invalid-argument', () => {
    expect(metadataObject(json({ a: 1 }))).toEqual({ a: 1 });
    expect(error(() => metadataObject(textTensor('{nope'))).code).toBe('invalid-encoding');
    expect(error(() => metadataObject(json([1]))).code).toBe('invalid-argument');
  });
});
