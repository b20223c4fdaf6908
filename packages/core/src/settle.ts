/** Bounded waits for work a guest must not be held up by (a backend releasing its engine). */

/** How long a guest's drop, or the end of a run, waits for a backend to release resources. */
export const RELEASE_GRACE_MS = 2000;

/** Waits for `work` at most `ms`; true if it settled in time (a rejection counts as settled). */
export async function settleWithin(work: Promise<unknown> | unknown, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.resolve(work).then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
