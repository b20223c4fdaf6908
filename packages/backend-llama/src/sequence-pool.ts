/**
 * The graph's shared llama context: `size` sequences that execution contexts borrow, so concurrent
 * generations on one model are decoded together in node-llama-cpp's batches instead of each context
 * running a llama context of its own. A borrower parks its sequence between generations (its KV
 * cache, a conversation or a prompt prefix, stays for its next compute); a parked sequence is taken
 * from it, cleared, when another borrower needs one and none is free. Borrowers beyond the sequences
 * that are all generating wait, first come first served: a generation always ends by itself, so the
 * wait is bounded.
 */
import { NnError, toNnError } from '@wacs/core/backend';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { defaultThreads } from './engine.js';
import type { LlamaOptions } from './options.js';

export interface ContextSettings {
  contextSize: number;
  batchSize: number;
  threads: number;
}

interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
  reject(error: unknown): void;
}

export class SequencePool {
  private context?: Promise<LlamaContext>;
  private created?: LlamaContext;
  /** Parked sequences by borrower, the longest parked first (the first to be taken). */
  private readonly parked = new Map<object, LlamaContextSequence>();
  private readonly waiting: Waiter[] = [];
  private handingOut = false;

  constructor(
    private readonly model: LlamaModel,
    readonly settings: ContextSettings,
    readonly size: number,
  ) {}

  /** Sequences not free: generating or parked. */
  get taken(): number {
    return this.size - (this.created?.sequencesLeft ?? this.size);
  }

  /**
   * A sequence for `borrower`: the one it parked if it is still its own (same object as before),
   * else a free one, cleared. Waits while all are generating; an abort stops the wait.
   */
  acquire(borrower: object, signal?: AbortSignal): Promise<LlamaContextSequence> {
    const own = this.parked.get(borrower);
    if (own) {
      this.parked.delete(borrower);
      return Promise.resolve(own);
    }
    return new Promise<LlamaContextSequence>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (sequence) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) void this.release(sequence);
          else resolve(sequence);
        },
        reject,
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new NnError('runtime-error', 'the generation was stopped while it waited for a free llama sequence'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      void this.handOut();
    });
  }

  /** Keeps the borrower's sequence, with its KV cache, until it computes again or someone needs it. */
  park(borrower: object, sequence: LlamaContextSequence): void {
    this.parked.set(borrower, sequence);
    void this.handOut();
  }

  /** Gives a sequence back, cleared (node-llama-cpp removes its tokens from the KV cache). */
  async release(sequence: LlamaContextSequence): Promise<void> {
    await sequence.dispose();
    void this.handOut();
  }

  /** The borrower is gone: its parked sequence, if any, goes back. */
  async forget(borrower: object): Promise<void> {
    const own = this.parked.get(borrower);
    if (!own) return;
    this.parked.delete(borrower);
    await this.release(own);
  }

  async dispose(): Promise<void> {
    const context = await this.context?.catch(() => undefined);
    await context?.dispose();
  }

  private open(): Promise<LlamaContext> {
    this.context ??= this.model.createContext({ ...this.settings, sequences: this.size }).then(
      (context) => (this.created = context),
      (e: unknown) => {
        this.context = undefined;
        throw toNnError(e, 'runtime-error', `cannot create a llama context of ${this.size} × ${this.settings.contextSize} tokens (lower the parallel option or ctx-size)`);
      },
    );
    return this.context;
  }

  /** Serves the waiting borrowers in order: a free sequence, else one taken from the longest parked. */
  private async handOut(): Promise<void> {
    if (this.handingOut) return;
    this.handingOut = true;
    try {
      while (this.waiting.length > 0) {
        const context = await this.open();
        if (context.sequencesLeft > 0) {
          this.waiting.shift()!.resolve(context.getSequence());
          continue;
        }
        const oldest = this.parked.entries().next();
        if (oldest.done) break; // every sequence is generating: a release hands out again
        const [borrower, sequence] = oldest.value;
        this.parked.delete(borrower);
        await sequence.dispose();
      }
    } catch (e) {
      for (const waiter of this.waiting.splice(0)) waiter.reject(e);
    } finally {
      this.handingOut = false;
    }
  }
}

/** Contexts default to the model's training context, capped so a 128k-context model stays small. */
const DEFAULT_MAX_CONTEXT = 4096;
const DEFAULT_BATCH = 512;
/** How far past its training context a model may be asked to run. */
const MAX_CONTEXT_STRETCH = 8;

/**
 * A llama context's settings from the options. Threads: the `threads` option, else half the math
 * cores (defaultThreads): one shared context decodes every sequence's tokens in one batch, so one
 * thread count serves all concurrent generations without oversubscribing the cores.
 */
export function contextSettings({ model, llama }: { model: LlamaModel; llama: Llama }, options: LlamaOptions): ContextSettings {
  const trained = model.trainContextSize;
  const contextSize = options['ctx-size'] === 0 ? trained : (options['ctx-size'] ?? Math.min(trained, DEFAULT_MAX_CONTEXT));
  // Options can come from a guest: sizes past what the model or the machine can use only cost the host.
  // llama.cpp can run past the training context (RoPE scaling), within reason.
  if (contextSize > trained * MAX_CONTEXT_STRETCH) {
    throw new NnError('invalid-argument', `ctx-size ${contextSize} is more than ${MAX_CONTEXT_STRETCH} times the model's training context of ${trained} tokens`);
  }
  return {
    contextSize,
    batchSize: options['batch-size'] ?? Math.min(DEFAULT_BATCH, contextSize),
    threads: options.threads ?? defaultThreads(llama),
  };
}

export function settingsKey(settings: ContextSettings): string {
  return `${settings.contextSize}/${settings.batchSize}/${settings.threads}`;
}
