/** How the kit judges errors, and how checks end early (fail or skip). */
import { NnError, type ErrorCode } from '@wacs/core/backend';

/** A check found a problem; `message` says what and, where it can, how to fix it. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** A check does not apply; `message` says why. */
export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

/** An NnError as the host sees one: from the @wacs/core the backend shares with it as a peer dependency. */
export function isNnError(error: unknown): error is NnError {
  return error instanceof NnError;
}

export function describeError(error: unknown): string {
  if (isNnError(error)) return `NnError(${error.code}${error.reason ? `, ${error.reason}` : ''}): ${error.message}`;
  if (error instanceof Error && error.name === 'NnError') {
    return `an NnError from another copy of @wacs/core (${error.message}), which the host cannot recognise; make @wacs/core a peerDependency and do not bundle it`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a thrown ${typeof error} ${JSON.stringify(error)}`;
}

/** Rejects after `ms`, so a hung engine fails a check instead of hanging the run. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `action` and requires it to fail with an NnError of one of `codes` and a message.
 * `release` disposes whatever `action` returned when it wrongly succeeded. Returns a description
 * of the error for the report.
 */
export async function expectNnError<T>(what: string, action: () => Promise<T> | T, codes: readonly ErrorCode[], release?: (value: T) => unknown): Promise<string> {
  let value: T;
  try {
    value = await action();
  } catch (error) {
    if (error instanceof CheckFailure) throw error;
    const wanted = codes.map((c) => `"${c}"`).join(' or ');
    if (!isNnError(error)) fail(`${what}: threw ${describeError(error)}; throw new NnError(${wanted}, "<what is wrong>") from @wacs/core/backend instead`);
    if (!codes.includes(error.code)) fail(`${what}: got ${describeError(error)}; expected code ${wanted}`);
    if (!error.message.trim()) fail(`${what}: NnError(${error.code}) has an empty message; say what is wrong and how to fix it`);
    return `${what} → ${error.code}: ${error.message.split('\n')[0]}`;
  }
  await Promise.resolve(release?.(value)).catch(() => undefined);
  fail(`${what}: succeeded, but it must fail with code ${codes.join(' or ')}`);
}
