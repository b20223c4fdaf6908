/** The errnos a preview1 guest gets, and the one for each wasi-nn error. */
import type { ErrorCode, ErrorReason, NnError } from '../../errors.js';

/** The witx errnos, with WasmEdge's LLM additions from 100 on. */
export const WITX_ERRNO = {
  success: 0,
  invalid_argument: 1,
  invalid_encoding: 2,
  missing_memory: 3,
  busy: 4,
  runtime_error: 5,
  unsupported_operation: 6,
  too_large: 7,
  not_found: 8,
  end_of_sequence: 100,
  context_full: 101,
  prompt_too_long: 102,
  model_not_found: 103,
} as const;

const CODE_ERRNO: Record<ErrorCode, number> = {
  'invalid-argument': WITX_ERRNO.invalid_argument,
  'invalid-encoding': WITX_ERRNO.invalid_encoding,
  timeout: WITX_ERRNO.runtime_error,
  'runtime-error': WITX_ERRNO.runtime_error,
  'unsupported-operation': WITX_ERRNO.unsupported_operation,
  'too-large': WITX_ERRNO.too_large,
  'not-found': WITX_ERRNO.not_found,
  security: WITX_ERRNO.invalid_argument,
  unknown: WITX_ERRNO.runtime_error,
};

const REASON_ERRNO: Record<ErrorReason, number> = {
  'end-of-sequence': WITX_ERRNO.end_of_sequence,
  'context-full': WITX_ERRNO.context_full,
  'prompt-too-long': WITX_ERRNO.prompt_too_long,
  'model-not-found': WITX_ERRNO.model_not_found,
  busy: WITX_ERRNO.busy,
};

/** The errno a guest sees for an error from any layer. */
export function witxErrno(error: NnError): number {
  return (error.reason && REASON_ERRNO[error.reason]) ?? CODE_ERRNO[error.code];
}
