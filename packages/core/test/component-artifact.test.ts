// The `wacs compile` artifact format: what goes in comes out, and a damaged or foreign one is refused.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArtifactError, isComponentArtifact, packArtifact, unpackArtifact } from '../src/runner/component-artifact.js';
import { BINDINGS_VERSION } from '../src/runner/component-cache.js';

const encoder = new TextEncoder();
const transpiled = {
  info: { imports: ['wasi:nn/graph@0.2.0-rc-2024-10-28'], exports: ['wasi:cli/run@0.2.3'] },
  files: { 'guest.js': encoder.encode('export const x = 1;\n'), 'guest.core.wasm': Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0), 'empty.wasm': new Uint8Array(0) },
};
const source = 'ab'.repeat(32);

/** The artifact with its header rewritten by `change` (the file contents kept). */
function withHeader(artifact: Uint8Array, change: (header: Record<string, unknown>) => void): Uint8Array {
  const length = new DataView(artifact.buffer, artifact.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(artifact.subarray(12, 12 + length))) as Record<string, unknown>;
  change(header);
  const json = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + artifact.length - 12 - length);
  out.set(artifact.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(artifact.subarray(12 + length), 12 + json.length);
  return out;
}

describe('component artifact', () => {
  const artifact = packArtifact(source, transpiled);

  it('gives back the files, interfaces, source and jco it was made with', () => {
    expect(isComponentArtifact(artifact)).toBe(true);
    const back = unpackArtifact(artifact, 'a.wacs');
    expect(back.source).toBe(source);
    expect(back.jco).toBe(BINDINGS_VERSION);
    expect(back.info).toEqual(transpiled.info);
    expect(Object.keys(back.files).sort()).toEqual(Object.keys(transpiled.files).sort());
    for (const [name, bytes] of Object.entries(transpiled.files)) expect(Array.from(back.files[name]!)).toEqual(Array.from(bytes));
  });

  it('is not mistaken for WebAssembly, nor WebAssembly for it', () => {
    expect(isComponentArtifact(transpiled.files['guest.core.wasm'])).toBe(false);
    expect(() => unpackArtifact(transpiled.files['guest.core.wasm'], 'x.wasm')).toThrow(/x.wasm is not a wacs compile artifact/);
  });

  it('refuses a changed byte, a truncated file and trailing bytes as corrupt, saying to compile again', () => {
    const changed = artifact.slice();
    changed[changed.length - 3]! ^= 0xff;
    expect(() => unpackArtifact(changed, 'a.wacs')).toThrow(ArtifactError);
    expect(() => unpackArtifact(changed, 'a.wacs')).toThrow(/a.wacs is corrupt.*wacs compile/);
    expect(() => unpackArtifact(artifact.subarray(0, artifact.length - 1), 'a.wacs')).toThrow(/corrupt/);
    expect(() => unpackArtifact(Uint8Array.from([...artifact, 0]), 'a.wacs')).toThrow(/corrupt/);
    expect(() => unpackArtifact(artifact.subarray(0, 40), 'a.wacs')).toThrow(/corrupt/);
  });

  it("refuses one another jco made as stale, naming both versions", () => {
    const foreign = withHeader(artifact, (h) => (h.jco = '0.0.1'));
    expect(() => unpackArtifact(foreign, 'a.wacs')).toThrow(new RegExp(`jco 0.0.1 and this wacs uses jco ${BINDINGS_VERSION.replace(/[.+]/g, '\\$&')}: it is stale`));
  });

  it('refuses file names that would leave its folder', () => {
    const escaping = withHeader(artifact, (h) => ((h.files as Array<{ name: string }>)[0]!.name = '../evil.js'));
    expect(() => unpackArtifact(escaping, 'a.wacs')).toThrow(/corrupt/);
  });

  describe('thin (beside its component)', () => {
    // A stand-in component that holds the core module verbatim, as a real one does, between other bytes.
    const component = Uint8Array.from([9, 9, 9, ...transpiled.files['guest.core.wasm'], 7, 7]);
    const key = 'cd'.repeat(32);
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    const thin = packArtifact(sha(component), transpiled, component);

    it('stores only what the component does not hold, and gives back every file from the two', () => {
      const whole = packArtifact(sha(component), transpiled);
      const body = (artifact: Uint8Array) => artifact.length - 12 - new DataView(artifact.buffer, artifact.byteOffset).getUint32(8, true);
      expect(body(whole) - body(thin)).toBe(transpiled.files['guest.core.wasm'].length);
      const back = unpackArtifact(thin, 'a.wacs', component);
      for (const [name, bytes] of Object.entries(transpiled.files)) expect(Array.from(back.files[name]!)).toEqual(Array.from(bytes));
    });

    it('without its component, says it runs only beside it', () => {
      expect(() => unpackArtifact(thin, 'a.wacs')).toThrow(/a.wacs is a thin artifact: .*runs only beside that component/);
    });

    it('beside another component, is refused as made from another build', () => {
      const other = component.slice();
      other[0] = 8;
      expect(() => unpackArtifact(thin, 'a.wacs', other)).toThrow(/made from another build/);
      expect(() => unpackArtifact(packArtifact(key, transpiled, component), 'b.wacs', component)).toThrow(/made from another build/);
    });

    it('refuses an entry pointing outside its component, or at other bytes of it, as corrupt', () => {
      const outside = withHeader(thin, (h) => ((h.files as Array<{ name: string; at?: number }>).find((f) => f.at !== undefined)!.at = component.length));
      expect(() => unpackArtifact(outside, 'a.wacs', component)).toThrow(/points outside its component/);
      const shifted = withHeader(thin, (h) => ((h.files as Array<{ name: string; at?: number }>).find((f) => f.at !== undefined)!.at = 0));
      expect(() => unpackArtifact(shifted, 'a.wacs', component)).toThrow(/do not match its checksum/);
    });
  });
});

