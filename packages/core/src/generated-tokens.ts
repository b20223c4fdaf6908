/**
 * Tokens a text generation produced, read from its outputs' usage JSON (the text-io contract:
 * output "metadata", or "1", holds `output_tokens`), for a host that counts them (the serve metrics).
 * Stream steps carry the count so far; `TokenTally` turns those into what each step added.
 */
import type { NamedTensor } from './tensor.js';

/** `output_tokens` of a set of outputs, or undefined when they carry no usage JSON. */
export function outputTokens(outputs: NamedTensor[]): number | undefined {
  const usage = outputs.find((o) => o.name === 'metadata') ?? outputs.find((o) => o.name === '1');
  if (!usage || usage.tensor.type !== 'U8' || usage.tensor.data.byteLength > 4096) return undefined;
  try {
    const count = (JSON.parse(new TextDecoder().decode(usage.tensor.data)) as { output_tokens?: unknown }).output_tokens;
    return typeof count === 'number' && Number.isFinite(count) && count >= 0 ? count : undefined;
  } catch {
    return undefined;
  }
}

/** One stream's running count: each step's usage is cumulative, so only the growth is new. */
export class TokenTally {
  private seen = 0;

  /** Tokens this step added (0 when it carries no usage or no growth). */
  step(outputs: NamedTensor[]): number {
    const total = outputTokens(outputs);
    if (total === undefined || total <= this.seen) return 0;
    const added = total - this.seen;
    this.seen = total;
    return added;
  }
}
