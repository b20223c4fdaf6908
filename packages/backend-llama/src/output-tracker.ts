/**
 * Follows one generation's output: counts its tokens, passes its text on as it comes, and ends it
 * before the first reverse prompt (stop text) that appears. Reverse prompts are matched on the text
 * as printed, because node-llama-cpp's own stop triggers look at tokens detokenized one by one,
 * which drops the space before a word with SentencePiece vocabularies (a trigger like "User 2:"
 * never matched). Text that may be the start of a reverse prompt is held back, so a stream never
 * shows part of one.
 */
import type { Token } from 'node-llama-cpp';
import type { TextUsage as Usage } from '@wacs/core/backend';

export interface OutputListener {
  onText(text: string, usage: Usage): void;
  signal?: AbortSignal;
}

export class OutputTracker {
  /** Aborts the generation when the guest stops it or a reverse prompt appears. */
  readonly signal: AbortSignal;
  outputTokens = 0;
  /** Whether a reverse prompt ended the output. */
  stopped = false;
  private text = '';
  private held = '';
  private readonly stopper = new AbortController();

  constructor(
    public inputTokens: number,
    private readonly reversePrompts: readonly string[] = [],
    private readonly listener: OutputListener,
  ) {
    this.signal = listener.signal ? AbortSignal.any([listener.signal, this.stopper.signal]) : this.stopper.signal;
  }

  /** node-llama-cpp reports a chunk's tokens before its text. */
  readonly onToken = (tokens: Token[]): void => {
    if (!this.stopped) this.outputTokens += tokens.length;
  };

  readonly onTextChunk = (chunk: string): void => {
    if (this.stopped) return;
    const stops = this.reversePrompts;
    if (stops.length === 0) return this.emit(chunk);
    const text = this.held + chunk;
    const at = firstStop(text, stops);
    if (at >= 0) {
      this.stopped = true;
      this.held = '';
      this.emit(text.slice(0, at));
      this.stopper.abort();
      return;
    }
    const keep = heldBack(text, stops);
    this.held = text.slice(text.length - keep);
    this.emit(text.slice(0, text.length - keep));
  };

  /** The whole output, once generation has ended (held-back text that did not become the reverse prompt included). */
  finish(): string {
    if (this.held) this.emit(this.held);
    this.held = '';
    return this.text;
  }

  get usage(): Usage {
    return { inputTokens: this.inputTokens, outputTokens: this.outputTokens };
  }

  private emit(text: string): void {
    if (!text) return;
    this.text += text;
    this.listener.onText(text, this.usage);
  }
}

/** Where the earliest of the stop texts starts in `text`, or -1. */
function firstStop(text: string, stops: readonly string[]): number {
  let first = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** How many characters at the end of `text` may be the start of a stop text: the longest such end. */
function heldBack(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    let keep = Math.min(stop.length - 1, text.length);
    while (keep > longest && !stop.startsWith(text.slice(text.length - keep))) keep--;
    longest = Math.max(longest, keep);
  }
  return longest;
}
