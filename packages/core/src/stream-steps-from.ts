/**
 * A backend's `stream()` from an engine that reports a generation through callbacks: the
 * generation runs ahead of the guest's reads and its steps queue up until read; the iterator's
 * result is what the generation resolves to, and `return()` (the guest stopped reading) aborts it.
 */
export function streamSteps<Step, Result>(generate: (push: (step: Step) => void, signal: AbortSignal) => Promise<Result>, initial: Result): AsyncIterator<Step, Result> {
  const pending: Step[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  let result = initial;
  const controller = new AbortController();
  const generation = generate((step) => {
    pending.push(step);
    wake?.();
  }, controller.signal)
    .then(
      (value) => void (result = value),
      (e: unknown) => void (failure = e),
    )
    .finally(() => {
      finished = true;
      wake?.();
    });

  return {
    next: async () => {
      while (pending.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
      const step = pending.shift();
      if (step !== undefined) return { done: false, value: step };
      if (failure !== undefined) throw failure;
      return { done: true, value: result };
    },
    return: async () => {
      controller.abort();
      await generation;
      return { done: true, value: result };
    },
  };
}
