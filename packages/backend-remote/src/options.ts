/**
 * Graph options of the remote backend: where the model lives and how to reach it. They come from a
 * named-model spec (`--model big=https://host:port,backend=remote,protocol=oip,remote-model=mnist`)
 * or a load-by-name config; every key is checked, so a typo fails with a message naming it.
 * Generation options (n-predict, temp, …) are per request: see openai-options.ts.
 */
import { NnError, type Options } from '@wacs/core/backend';

export type Protocol = 'oip' | 'openai';

export interface RemoteOptions {
  protocol: Protocol;
  /** The model's name on the server. */
  remoteModel: string;
  /** A host environment variable holding the API key (sent as a bearer token; never seen by the guest). */
  apiKeyEnv?: string;
  connectTimeoutMs: number;
  /** For a plain request: until the whole response is in. For a stream: until the headers, then between events. */
  requestTimeoutMs: number;
  /** Retries of an idempotent call (and of a generation before any token reached the guest). */
  retries: number;
  /** The longest Retry-After the backend waits for; a longer one fails at once as busy. */
  maxRetryWaitMs: number;
  /** The largest response body accepted. */
  maxResponseBytes: number;
  /** OIP: input tensors larger than this many bytes in all travel in the binary tensor extension. */
  binaryThreshold: number;
}

export const DEFAULTS = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  retries: 2,
  maxRetryWaitMs: 30_000,
  maxResponseBytes: 256 * 1024 * 1024,
  binaryThreshold: 64 * 1024,
} as const;

interface Spec {
  field: keyof RemoteOptions;
  kind: 'protocol' | 'string' | 'env' | 'integer';
  min?: number;
  description: string;
}

export const OPTION_SPECS: Record<string, Spec> = {
  protocol: { field: 'protocol', kind: 'protocol', description: 'oip (Open Inference Protocol / KServe v2 REST) or openai (OpenAI-compatible API)' },
  'remote-model': { field: 'remoteModel', kind: 'string', description: "the model's name on the server (default: the name it is registered under)" },
  'api-key-env': { field: 'apiKeyEnv', kind: 'env', description: 'host environment variable holding the API key' },
  'connect-timeout-ms': { field: 'connectTimeoutMs', kind: 'integer', min: 1, description: 'time to open a connection' },
  'request-timeout-ms': { field: 'requestTimeoutMs', kind: 'integer', min: 1, description: 'time for a whole response; for a stream, for its headers and then between events' },
  retries: { field: 'retries', kind: 'integer', min: 0, description: 'retries of a call that may be repeated' },
  'max-retry-wait-ms': { field: 'maxRetryWaitMs', kind: 'integer', min: 0, description: 'the longest Retry-After waited for' },
  'max-response-bytes': { field: 'maxResponseBytes', kind: 'integer', min: 1, description: 'the largest response accepted' },
  'binary-threshold': { field: 'binaryThreshold', kind: 'integer', min: 0, description: 'OIP: input bytes above which tensors travel in binary' },
};

/** The message for a graph option no one knows. */
export function unknownOption(key: string, more: readonly string[] = []): NnError {
  return new NnError('invalid-argument', `graph options: unknown option "${key}" for the remote backend; known options: ${[...Object.keys(OPTION_SPECS), ...more].join(', ')}`);
}

/**
 * Checks the connection options; `name` is the registered model name (the default remote model).
 * Other keys are returned in `rest` for the protocol to check (generation defaults for openai).
 */
export function parseRemoteOptions(raw: Options, name: string | undefined): { remote: RemoteOptions; rest: Options } {
  const parsed: Partial<RemoteOptions> = {};
  const rest: Options = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = OPTION_SPECS[key];
    if (!spec) {
      rest[key] = value;
      continue;
    }
    const fail = (expected: string) =>
      new NnError('invalid-argument', `graph options: option "${key}" must be ${expected}, got ${JSON.stringify(value)} (${spec.description})`);
    switch (spec.kind) {
      case 'protocol':
        if (value !== 'oip' && value !== 'openai') throw fail('"oip" or "openai"');
        parsed.protocol = value;
        break;
      case 'string':
        if (typeof value !== 'string' || !value) throw fail('a non-empty string');
        (parsed as Record<string, unknown>)[spec.field] = value;
        break;
      case 'env':
        if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw fail('an environment variable name');
        parsed.apiKeyEnv = value;
        break;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < (spec.min ?? 0)) throw fail(`an integer of at least ${spec.min ?? 0}`);
        (parsed as Record<string, unknown>)[spec.field] = value;
        break;
    }
  }
  if (!parsed.protocol) throw new NnError('invalid-argument', 'graph options: the remote backend needs protocol=oip or protocol=openai');
  const remoteModel = parsed.remoteModel ?? name;
  if (!remoteModel) throw new NnError('invalid-argument', 'graph options: give remote-model=<the model\'s name on the server>');
  return { remote: { ...DEFAULTS, ...parsed, protocol: parsed.protocol, remoteModel }, rest };
}
