/**
 * The remote backend's options, declared with core's option kit. Connection options say where the
 * model lives and how to reach it; they come from a named-model spec
 * (`--model big=https://host:port,backend=remote,protocol=oip,remote-model=mnist`) or a remote
 * model file, never from a guest. Generation options (n-predict, temp, …) are protocol=openai's:
 * see openai-options.ts.
 */
import { defineOptions, NnError, type OptionSpec, type Options } from '@wacs/core/backend';
import { GENERATION_OPTIONS, SERVER_SIDE_OPTIONS, type GenerationOptions } from './openai-options.js';

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

export const CONNECTION_OPTIONS = {
  protocol: { type: 'choice', when: 'load', choices: ['oip', 'openai'], doc: 'oip (Open Inference Protocol / KServe v2 REST) or openai (OpenAI-compatible API)' },
  'remote-model': { type: 'string', when: 'load', check: (name: string) => (name ? undefined : 'a non-empty string'), doc: "the model's name on the server (default: the name it is registered under)" },
  'api-key-env': { type: 'string', when: 'load', check: (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? undefined : 'an environment variable name'), doc: 'host environment variable holding the API key' },
  'connect-timeout-ms': { type: 'integer', when: 'load', min: 1, default: DEFAULTS.connectTimeoutMs, doc: 'time to open a connection' },
  'request-timeout-ms': { type: 'integer', when: 'load', min: 1, default: DEFAULTS.requestTimeoutMs, doc: 'time for a whole response; for a stream, for its headers and then between events' },
  retries: { type: 'integer', when: 'load', min: 0, default: DEFAULTS.retries, doc: 'retries of a call that may be repeated' },
  'max-retry-wait-ms': { type: 'integer', when: 'load', min: 0, default: DEFAULTS.maxRetryWaitMs, doc: 'the longest Retry-After waited for' },
  'max-response-bytes': { type: 'integer', when: 'load', min: 1, default: DEFAULTS.maxResponseBytes, doc: 'the largest response accepted' },
  'binary-threshold': { type: 'integer', when: 'load', min: 0, default: DEFAULTS.binaryThreshold, doc: 'OIP: input bytes above which tensors travel in binary' },
} as const satisfies Record<string, OptionSpec>;

/** Every option of the backend, as a load request and `wacs backends --json` see them. */
export const remoteOptions = defineOptions('remote', { ...CONNECTION_OPTIONS, ...GENERATION_OPTIONS }, { nullClears: true });

/** Drops the GGML keys about the server's own engine (accepted so a guest runs unchanged; no effect). */
export function withoutServerSide(raw: Options | undefined): Options {
  return Object.fromEntries(Object.entries(raw ?? {}).filter(([key]) => !(SERVER_SIDE_OPTIONS as readonly string[]).includes(key)));
}

/**
 * Checks a load's options (the user's strictly, the guest's leniently); `name` is the registered
 * model name (the default remote model). Returns the connection and, for openai, the generation
 * defaults; generation options given to an oip model are refused.
 */
export function parseRemoteOptions(options: Options, guestOptions: Options | undefined, name: string | undefined): { remote: RemoteOptions; generation: GenerationOptions } {
  const { values } = remoteOptions.parseLoad({ options: withoutServerSide(options), guestOptions: withoutServerSide(guestOptions) });
  if (!values.protocol) throw new NnError('invalid-argument', 'graph options: the remote backend needs protocol=oip or protocol=openai');
  const remoteModel = values['remote-model'] ?? name;
  if (!remoteModel) throw new NnError('invalid-argument', "graph options: give remote-model=<the model's name on the server>");
  const generation: GenerationOptions = {};
  for (const key of Object.keys(GENERATION_OPTIONS) as Array<keyof typeof GENERATION_OPTIONS>) {
    if (values[key] !== undefined) (generation as Record<string, unknown>)[key] = values[key];
  }
  if (generation.grammar !== undefined && generation['json-schema'] !== undefined) throw new NnError('invalid-argument', 'graph options: give "grammar" or "json-schema", not both');
  const given = Object.keys(generation);
  if (values.protocol === 'oip' && given.length) {
    throw new NnError('invalid-argument', `graph options: ${given.map((k) => `"${k}"`).join(', ')} ${given.length > 1 ? 'are options' : 'is an option'} of protocol openai; protocol oip takes ${Object.keys(CONNECTION_OPTIONS).join(', ')}`);
  }
  const remote: RemoteOptions = {
    protocol: values.protocol,
    remoteModel,
    ...(values['api-key-env'] !== undefined ? { apiKeyEnv: values['api-key-env'] } : {}),
    connectTimeoutMs: values['connect-timeout-ms'] ?? DEFAULTS.connectTimeoutMs,
    requestTimeoutMs: values['request-timeout-ms'] ?? DEFAULTS.requestTimeoutMs,
    retries: values.retries ?? DEFAULTS.retries,
    maxRetryWaitMs: values['max-retry-wait-ms'] ?? DEFAULTS.maxRetryWaitMs,
    maxResponseBytes: values['max-response-bytes'] ?? DEFAULTS.maxResponseBytes,
    binaryThreshold: values['binary-threshold'] ?? DEFAULTS.binaryThreshold,
  };
  return { remote, generation };
}
