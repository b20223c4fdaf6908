// Option checking: WasmEdge's keys with their types, unknown keys named in the error, clearing.
import { mergeTextOptions, NnError } from '@wacs/core/backend';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/options.js';

function error(f: () => unknown): NnError {
  try {
    f();
  } catch (e) {
    return e as NnError;
  }
  throw new Error('expected an error');
}

describe('llama options', () => {
  it('accepts WasmEdge keys with their types', () => {
    const { set } = parseOptions(
      { 'n-predict': 16, 'ctx-size': 512, temp: 0, 'top-k': 1, 'top-p': 0.9, seed: 7, 'reverse-prompt': 'User:', 'stream-stdout': true, threads: 1, 'json-schema': '{"type":"object"}' },
      'metadata',
    );
    expect(set).toMatchObject({ 'n-predict': 16, 'ctx-size': 512, temp: 0, seed: 7, 'reverse-prompt': ['User:'], 'stream-stdout': true });
    // Several reverse prompts (an OpenAI-style stop list), each kept as given.
    expect(parseOptions({ 'reverse-prompt': ['\nUser:', ' END'] }, 'metadata').set['reverse-prompt']).toEqual(['\nUser:', ' END']);
    // A JSON schema may be given as text (WasmEdge) or as an object; it is kept as text.
    expect(set['json-schema']).toBe('{"type":"object"}');
    expect(parseOptions({ 'json-schema': { type: 'object' } }, 'metadata').set['json-schema']).toBe('{"type":"object"}');
  });

  it('names an unknown key the user typed, and says why a known WasmEdge key is refused', () => {
    const unknown = error(() => parseOptions({ temp: 0, tmep: 1 }, 'command-line'));
    expect(unknown.code).toBe('invalid-argument');
    expect(unknown.message).toContain('unknown option "tmep"; the llama backend knows n-predict, ctx-size');
    const unsupported = error(() => parseOptions({ mmproj: 'x.gguf' }, 'command-line'));
    expect(unsupported.code).toBe('invalid-argument');
    expect(unsupported.message).toMatch(/"mmproj" is not supported.*multimodal/);
  });

  it('ignores and reports unknown keys a guest sent, and reports load-time keys sent per compute', () => {
    const fromGuest = parseOptions({ temp: 0, tmep: 1, mmproj: 'x.gguf', 'use-mmap': true }, 'metadata');
    expect(fromGuest.set).toEqual({ temp: 0, 'use-mmap': true });
    expect(fromGuest.ignored).toEqual(['tmep', 'mmproj']);
    expect(fromGuest.loadTime).toEqual(['use-mmap']);
  });

  it('checks types and ranges, naming the option', () => {
    expect(error(() => parseOptions({ 'n-predict': 1.5 }, 'metadata')).message).toContain('"n-predict" must be an integer');
    expect(error(() => parseOptions({ 'n-predict': 0 }, 'metadata')).message).toContain('"n-predict" must be -1');
    expect(error(() => parseOptions({ temp: '0.5' }, 'metadata')).message).toContain('"temp" must be a number');
    expect(error(() => parseOptions({ 'top-p': 2 }, 'metadata')).message).toContain('"top-p" must be at most 1');
    expect(error(() => parseOptions({ threads: 0 }, 'metadata')).message).toContain('"threads" must be at least 1');
    expect(error(() => parseOptions({ chat: 'yes' }, 'metadata')).message).toContain('"chat" must be true or false');
    expect(error(() => parseOptions({ 'json-schema': '{not json' }, 'metadata')).message).toContain('"json-schema" must be a JSON object');
    expect(error(() => parseOptions({ grammar: 'root ::= "a"', 'json-schema': {} }, 'metadata')).message).toContain('not both');
  });

  it('layers metadata over earlier options: null goes back to the graph\'s value, a grammar replaces a schema', () => {
    const graph = parseOptions({ threads: 1, 'n-predict': 8 }, 'command-line').set;
    const earlier = mergeTextOptions(graph, parseOptions({ temp: 0.5, threads: 2, 'json-schema': { type: 'object' } }, 'metadata'), graph);
    const merged = mergeTextOptions(earlier, parseOptions({ temp: null, threads: null, grammar: 'root ::= "a"' }, 'metadata'), graph);
    expect(merged).toEqual({ threads: 1, 'n-predict': 8, grammar: 'root ::= "a"' });
  });
});
