/**
 * The ahead-of-time artifact of a component (`wacs compile`): jco's transpilation (the bindings
 * and the core modules) in one file, so a run starts without transpiling. Layout:
 *
 *   "WACSAOT1"  header length (u32 LE)  header (JSON)  file contents, back to back
 *
 * The header names the source component (its SHA-256, the cache key), the bindings' version (jco's,
 * and wacs's pass over them: other bindings may not fit this wacs), the component's interfaces, each
 * file's name and length, and the SHA-256 of every file's contents, so a truncated or altered
 * artifact is refused instead of run.
 *
 * A thin artifact (`wacs compile --thin`) leaves out the files found byte for byte in the component
 * (jco copies its core modules out of it unchanged, ~97% of a JavaScript guest) and records where
 * they sit there instead: it is only usable beside that component, at a twentieth of the size.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BINDINGS_VERSION, type ComponentInfo, type TranspiledComponent } from './component-cache.js';

const MAGIC = 'WACSAOT1';
const PREFIX = MAGIC.length + 4;

interface ArtifactHeader extends ComponentInfo {
  source: string;
  jco: string;
  /** `at`: the file is not stored, it is `bytes` bytes of the source component from this offset (thin). */
  files: Array<{ name: string; bytes: number; at?: number }>;
  sha256: string;
}

export interface ComponentArtifact extends TranspiledComponent {
  /** SHA-256 of the component it was made from. */
  source: string;
  jco: string;
}

/** A file that is not a usable artifact, with what to do about it. */
export class ArtifactError extends Error {}

export function isComponentArtifact(bytes: Uint8Array): boolean {
  return bytes.length >= PREFIX && new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) === MAGIC;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `component`, when given, makes a thin artifact: what it holds verbatim is referenced, not stored. */
export function packArtifact(source: string, transpiled: TranspiledComponent, component?: Uint8Array): Uint8Array {
  const names = Object.keys(transpiled.files).sort();
  const within = component && Buffer.from(component.buffer, component.byteOffset, component.byteLength);
  const hash = createHash('sha256');
  const files: ArtifactHeader['files'] = [];
  const stored: Uint8Array[] = [];
  for (const name of names) {
    const content = transpiled.files[name]!;
    hash.update(content);
    const at = within && content.length > 0 ? within.indexOf(content) : -1;
    if (at >= 0) files.push({ name, bytes: content.length, at });
    else {
      files.push({ name, bytes: content.length });
      stored.push(content);
    }
  }
  const header: ArtifactHeader = { source, jco: BINDINGS_VERSION, imports: transpiled.info.imports, exports: transpiled.info.exports, files, sha256: hash.digest('hex') };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX + json.length + stored.reduce((n, f) => n + f.length, 0));
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, PREFIX);
  let at = PREFIX + json.length;
  for (const content of stored) {
    out.set(content, at);
    at += content.length;
  }
  return out;
}

/**
 * Reads an artifact, checking that it is whole and that this wacs's jco made it. `what` names it in
 * errors (its path). A thin one needs `component`, the component it was made from.
 */
export function unpackArtifact(bytes: Uint8Array, what: string, component?: Uint8Array): ComponentArtifact {
  const again = 'make it again with `wacs compile <guest.wasm>`';
  if (!isComponentArtifact(bytes)) throw new ArtifactError(`${what} is not a wacs compile artifact`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(MAGIC.length, true);
  let header: ArtifactHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + length))) as ArtifactHeader;
    if (!Array.isArray(header.files) || typeof header.sha256 !== 'string' || typeof header.source !== 'string') throw new Error('fields missing');
  } catch {
    throw new ArtifactError(`${what} is corrupt (its header does not read); ${again}`);
  }
  if (header.jco !== BINDINGS_VERSION) {
    throw new ArtifactError(`${what} was prepared by jco ${header.jco} and this wacs uses jco ${BINDINGS_VERSION}: it is stale; ${again}`);
  }
  if (header.files.some((f) => f.at !== undefined)) {
    if (!component) {
      throw new ArtifactError(
        `${what} is a thin artifact: it reads its core modules from the component it was made from, so it runs only beside that component (run the .wasm; this file is used from beside it); for one file that runs alone, make it with \`wacs compile <guest.wasm>\` without --thin`,
      );
    }
    if (sha256(component) !== header.source) throw new ArtifactError(`${what} was made from another build of this component; ${again}`);
  }
  const files: Record<string, Uint8Array> = {};
  const hash = createHash('sha256');
  let at = PREFIX + length;
  for (const { name, bytes: size, at: inComponent } of header.files) {
    if (typeof name !== 'string' || name.includes('..') || name.startsWith('/') || !(size >= 0)) {
      throw new ArtifactError(`${what} is corrupt (a file entry is invalid); ${again}`);
    }
    if (inComponent !== undefined) {
      if (!(inComponent >= 0) || inComponent + size > component!.length) throw new ArtifactError(`${what} is corrupt (a file entry points outside its component); ${again}`);
      files[name] = component!.subarray(inComponent, inComponent + size);
    } else {
      if (at + size > bytes.length) throw new ArtifactError(`${what} is corrupt (truncated); ${again}`);
      files[name] = bytes.subarray(at, at + size);
      at += size;
    }
    hash.update(files[name]);
  }
  if (at !== bytes.length || hash.digest('hex') !== header.sha256) {
    throw new ArtifactError(`${what} is corrupt (its contents do not match its checksum); ${again}`);
  }
  return { source: header.source, jco: header.jco, info: { imports: header.imports, exports: header.exports }, files };
}

/**
 * The artifact at `path` (e.g. beside the component) when it was made from `component` (whose
 * SHA-256 is `key`) by this jco; otherwise undefined, with a note on `log` when there is one that
 * does not fit.
 */
export async function artifactFor(path: string, key: string, component: Uint8Array, log: (line: string) => void): Promise<ComponentArtifact | undefined> {
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    return undefined; // none there
  }
  try {
    const artifact = unpackArtifact(bytes, path, component);
    if (artifact.source === key) return artifact;
    log(`wacs: ${path} is stale (made from another build of this guest); transpiling instead (run wacs compile again to refresh it)`);
  } catch (e) {
    if (!(e instanceof ArtifactError)) throw e;
    log(`wacs: ${e.message}; transpiling instead`);
  }
  return undefined;
}
