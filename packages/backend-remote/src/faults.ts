/**
 * Server answers and network failures as wasi:nn errors, with the server's own message: unknown
 * remote model → not-found, 413 → too-large, 429/503 → busy (runtime-error, reason busy; witx errno
 * busy), 400/422 → invalid-argument (the request the guest's inputs made was refused),
 * 401/403 → security, timeouts → timeout, anything else → runtime-error.
 */
import { NnError } from '@wacs/core/backend';

/** One failed attempt, and whether it may be tried again. */
export class AttemptFailure extends Error {
  constructor(
    readonly error: NnError,
    readonly retryable: boolean,
    /** The server's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

/** Statuses worth another try: the server was busy or a proxy could not reach it. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const MESSAGE_CHARS = 500;

/** Retry-After in milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The message in an error body: OIP's {"error": "…"}, OpenAI's {"error": {"message": "…"}}, or the text. */
export function serverMessage(body: Buffer | string): string {
  const text = body.toString().trim();
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = json.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
    if (typeof json.message === 'string') return json.message;
    if (typeof json.detail === 'string') return json.detail;
  } catch {
    // not JSON: the text itself
  }
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text || '(no message)';
}

/** Whether a 404 (or 400) says the model itself is unknown, rather than the path. */
function isUnknownModel(message: string): boolean {
  return /model/i.test(message) && /not (be )?found|unknown|does not exist|no such|not exist|not available/i.test(message);
}

/** The wasi:nn error for an HTTP error status; `what` says what was asked ("OIP infer on mnist at http://…"). */
export function statusFailure(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, what: string): AttemptFailure {
  const message = serverMessage(body);
  const said = `${what}: the server answered ${status}: ${message}`;
  const retryAfter = retryAfterMs(headers['retry-after']);
  let error: NnError;
  if (status === 404 || (status === 400 && isUnknownModel(message))) {
    error = new NnError('not-found', said, 'model-not-found');
  } else if (status === 413) {
    error = new NnError('too-large', said);
  } else if (status === 429 || status === 503) {
    error = new NnError('runtime-error', `${said} (busy${retryAfter !== undefined ? `; retry after ${Math.ceil(retryAfter / 1000)} s` : ''})`, 'busy');
  } else if (status === 400 || status === 422) {
    error = new NnError('invalid-argument', said);
  } else if (status === 401 || status === 403) {
    error = new NnError('security', `${said} (check the API key in the variable named by api-key-env)`);
  } else if (status >= 300 && status < 400) {
    error = new NnError('runtime-error', `${what}: the server redirected (${status}) to ${String(headers.location ?? '?')}; wacs contacts only the configured URL, so register that address instead`);
  } else {
    error = new NnError('runtime-error', said);
  }
  return new AttemptFailure(error, RETRYABLE_STATUS.has(status), retryAfter);
}

export function timeoutFailure(what: string, phase: string, ms: number): AttemptFailure {
  return new AttemptFailure(new NnError('timeout', `${what}: ${phase} took longer than ${ms} ms`), true);
}

/** A connection-level failure (refused, reset, DNS, TLS). TLS errors are never retried. */
export function networkFailure(what: string, error: Error & { code?: string }): AttemptFailure {
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(`${error.code ?? ''} ${error.message}`);
  const nn = new NnError(tls ? 'security' : 'runtime-error', `${what}: ${tls ? 'TLS verification failed' : 'cannot reach the server'}: ${error.message}${error.code ? ` (${error.code})` : ''}`, undefined, { cause: error });
  return new AttemptFailure(nn, !tls);
}
