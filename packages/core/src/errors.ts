/** The wasi:nn error codes, in WIT order (`wasi:nn/errors.error-code`). */
export const ERROR_CODES = [
  'invalid-argument',
  'invalid-encoding',
  'timeout',
  'runtime-error',
  'unsupported-operation',
  'too-large',
  'not-found',
  'security',
  'unknown',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Finer reasons a language-model backend can give. The component ABI reports them through the
 * `code` above; the preview1 ABI has its own errnos for them (WasmEdge's end_of_sequence,
 * context_full, prompt_too_long, model_not_found), and `busy` (a server that asked to be retried later,
 * witx errno busy) for backends that forward work to one.
 */
export type ErrorReason = 'end-of-sequence' | 'context-full' | 'prompt-too-long' | 'model-not-found' | 'busy';

/** Marks an NnError whichever copy of core made it (see `NnError[Symbol.hasInstance]`). */
const NN_ERROR = Symbol.for('@wacs/core NnError');

/** An error every layer can throw: it carries the wasi:nn code the guest will see. */
export class NnError extends Error {
  /**
   * `instanceof NnError` is true for an NnError from any copy of core: a page's guest worker runs
   * the host from its own bundle, and the backends it loads bring their own core. Subclasses keep
   * the usual prototype test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== NnError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [NN_ERROR]?: boolean })[NN_ERROR] === true;
  }

  override readonly name = 'NnError';
  readonly [NN_ERROR] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: ErrorReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps anything thrown by an engine into an NnError, keeping the engine's message. */
export function toNnError(error: unknown, code: ErrorCode = 'runtime-error', context?: string): NnError {
  if (error instanceof NnError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NnError(code, context ? `${context}: ${message}` : message, undefined, { cause: error });
}

/**
 * For backends: an engine's failure to load a model. A bug-shaped error from deep inside an engine
 * (TypeError, RangeError, ReferenceError) means the model is malformed in a way its parser did not
 * check; its message is the engine's internals, which a guest cannot act on, so it stays in `cause`.
 */
export function modelLoadError(error: unknown, what: string, code: ErrorCode = 'invalid-encoding'): NnError {
  if (error instanceof NnError) return error;
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) {
    return new NnError('invalid-encoding', `${what}: the model is malformed (its engine failed reading it with a ${error.name})`, undefined, { cause: error });
  }
  return toNnError(error, code, what);
}

/** Plain data form of an NnError, to cross a thread boundary. */
export interface NnErrorData {
  code: ErrorCode;
  message: string;
  reason?: ErrorReason;
}

export function errorToData(error: unknown): NnErrorData {
  const e = toNnError(error, 'unknown');
  return e.reason ? { code: e.code, message: e.message, reason: e.reason } : { code: e.code, message: e.message };
}

export function errorFromData(data: NnErrorData): NnError {
  return new NnError(data.code, data.message, data.reason);
}
