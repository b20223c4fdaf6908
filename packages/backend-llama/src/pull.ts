/**
 * `wacs pull`: fetches a GGUF model from Hugging Face or a URL with node-llama-cpp's model resolver
 * (which names the file after its URI, skips files already there, joins split models and shows a
 * progress bar). The CLI command calls `pullModel`.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nodeLlamaCpp } from './engine.js';

export type PullSource =
  /** `hf:<user>/<repo>[:<quant>]`, `hf:<user>/<repo>/<file>[#<branch>]` (also `huggingface:`, `hf.co/…`). */
  | { kind: 'huggingface'; uri: string; user: string; repo: string }
  | { kind: 'url'; uri: string; host: string };

const USAGE = 'wacs pull takes hf:<user>/<repo>[:<quant>], hf:<user>/<repo>/<file>.gguf[#<branch>] or an http(s):// URL';
const HF_PREFIXES = ['hf://', 'huggingface://', 'hf:', 'huggingface:', 'hf.co/', 'huggingface.co/'];

/** Classifies what `wacs pull` was given, or says why it cannot be pulled. */
export function parsePullUri(input: string): PullSource {
  const uri = input.trim();
  const prefix = HF_PREFIXES.find((p) => uri.toLowerCase().startsWith(p));
  if (prefix) {
    const path = uri.slice(prefix.length).split('#')[0]!;
    const [user, repoAndQuant, ...file] = path.split('/');
    const repo = repoAndQuant?.split(':')[0];
    if (!user || !repo) throw new Error(`"${input}" names no Hugging Face repository (hf:<user>/<repo>…); ${USAGE}`);
    if (file.length > 0 && !file.join('/')) throw new Error(`"${input}" ends with "/" but names no file; ${USAGE}`);
    return { kind: 'huggingface', uri, user, repo };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new Error(`"${input}" is not a valid URL; ${USAGE}`);
    }
    return { kind: 'url', uri, host: url.host };
  }
  // One letter before ":" is a Windows drive, not a scheme.
  if (scheme && scheme.length > 1) throw new Error(`"${input}": the ${scheme}: scheme is not supported; ${USAGE}`);
  throw new Error(`"${input}" looks like a local path: wacs run --model <name>=${input} loads it as it is; ${USAGE}`);
}

export interface PullOptions {
  /** Folder to put the model in (default: the current folder). */
  to?: string;
  /** Show node-llama-cpp's progress bar (default true). */
  progress?: boolean;
  signal?: AbortSignal;
}

const NETWORK_FAILURE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|fetch failed|network/i;

function describeFailure(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { message?: string; code?: string } | undefined;
  return [e.message, cause?.message, cause?.code].filter((part, i, all) => part && all.indexOf(part) === i).join(': ');
}

/**
 * Fails fast when the host cannot be reached at all: the downloader retries a failed connection for
 * minutes, which looks like a hang when there is simply no network.
 */
async function checkReachable(url: string, host: string, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(15_000);
  try {
    await fetch(url, { method: 'HEAD', redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new Error(`cannot reach ${host}: ${describeFailure(e)} (wacs pull needs network access to ${host})`, { cause: e });
  }
}

/** Returns the model's local path, downloading it first unless it is already in the folder. */
export async function pullModel(input: string, options: PullOptions = {}): Promise<string> {
  const source = parsePullUri(input);
  const directory = resolve(options.to ?? process.cwd());
  await mkdir(directory, { recursive: true });
  const { resolveModelFile } = await nodeLlamaCpp();
  try {
    return await resolveModelFile(source.uri, { directory, download: false, cli: false });
  } catch {
    // Not there yet (or its name needs the network to resolve): download it.
  }
  const host = source.kind === 'url' ? source.host : 'huggingface.co';
  await checkReachable(source.kind === 'url' ? source.uri : 'https://huggingface.co/', host, options.signal);
  try {
    return await resolveModelFile(source.uri, { directory, download: 'auto', cli: options.progress ?? true, signal: options.signal });
  } catch (e) {
    const detail = describeFailure(e);
    if (NETWORK_FAILURE.test(detail)) throw new Error(`cannot download ${source.uri}: ${detail} (wacs pull needs network access to ${host})`, { cause: e });
    throw new Error(`cannot pull ${source.uri}: ${detail}`, { cause: e });
  }
}
