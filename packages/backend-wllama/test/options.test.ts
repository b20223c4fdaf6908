// The wllama backend's options in Node (they need no engine): the text-generation keys core shares
// with backend-llama (grammar, json-schema and embedding among them), checked as a guest's metadata
// and a named-model spec are.
import { mergeTextOptions, NnError, TEXT_GENERATION_OPTIONS } from '@wacs/core/backend';
import { describe, expect, it } from 'vitest';
import { parseLoadOptions, parseMetadata, wllamaOptions, type WllamaOptions } from '../src/options.js';

describe('wllama options', () => {
  it("has every text-generation key of core's shared table, with its spec", () => {
    for (const [name, spec] of Object.entries(TEXT_GENERATION_OPTIONS)) expect(wllamaOptions.specs[name as keyof typeof wllamaOptions.specs]).toBe(spec);
  });

  it('takes metadata leniently: a known key is checked, an unknown one skipped, an empty reverse prompt is none', () => {
    const update = parseMetadata({ temp: 0, 'n-predict': 12, 'reverse-prompt': '', 'no-such-key': 1 });
    expect(update.set).toEqual({ temp: 0, 'n-predict': 12 });
    expect(update.cleared).toEqual(['reverse-prompt']);
  });

  it('refuses a bad value with invalid-argument naming the option', () => {
    for (const metadata of [{ temp: -1 }, { 'top-p': 2 }, { 'n-predict': 0 }, { chat: 'yes' }]) {
      const error = (() => {
        try {
          parseMetadata(metadata);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(NnError);
      expect((error as NnError).code).toBe('invalid-argument');
      expect((error as NnError).message).toContain(`"${Object.keys(metadata)[0]}"`);
    }
  });

  it('refuses, on the command line, what a page cannot do, saying why', () => {
    expect(() => parseLoadOptions({ options: { 'n-gpu-layers': 10 } })).toThrow(/not supported by the wllama backend \(wllama runs on WebAssembly/);
    expect(() => parseLoadOptions({ options: { mmproj: 'x.gguf' } })).toThrow(/not supported by the wllama backend \(multimodal/);
    expect(parseLoadOptions({ options: { 'ctx-size': 512, threads: 1 } })).toEqual({ 'ctx-size': 512, threads: 1 });
  });

  it('takes grammar, json-schema and embedding as backend-llama does: a schema object kept as its JSON text, an empty grammar is none, not both at once', () => {
    expect(parseMetadata({ grammar: 'root ::= "a"', embedding: true }).set).toEqual({ grammar: 'root ::= "a"', embedding: true });
    expect(parseMetadata({ 'json-schema': { type: 'object' } }).set).toEqual({ 'json-schema': '{"type":"object"}' });
    expect(parseMetadata({ grammar: '' }).cleared).toEqual(['grammar']);
    expect(() => parseMetadata({ 'json-schema': '{not json' })).toThrow(/"json-schema" must be a JSON object/);
    expect(() => parseMetadata({ grammar: 'root ::= "a"', 'json-schema': {} })).toThrow(/not both/);
    expect(() => parseMetadata({ embedding: 'yes' })).toThrow(/"embedding"/);
  });

  it('a grammar replaces an earlier JSON schema, and the other way round', () => {
    const graph: WllamaOptions = {};
    const schema = mergeTextOptions<WllamaOptions>({ grammar: 'root ::= "a"' }, parseMetadata({ 'json-schema': { type: 'object' } }), graph);
    expect(schema).toEqual({ 'json-schema': '{"type":"object"}' });
    expect(mergeTextOptions(schema, parseMetadata({ grammar: 'root ::= "b"' }), graph)).toEqual({ grammar: 'root ::= "b"' });
  });

  it('a null in metadata puts an option back to the graph value', () => {
    const graph: WllamaOptions = { temp: 0.5 };
    const merged = mergeTextOptions<WllamaOptions>({ temp: 0, 'n-predict': 5 }, parseMetadata({ temp: null }), graph);
    expect(merged).toEqual({ temp: 0.5, 'n-predict': 5 });
  });
});
