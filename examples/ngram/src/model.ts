/**
 * The ngram model format: a UTF-8 text file whose first line is `#wacs-ngram 1` and whose rest is a
 * corpus. Loading counts which word follows which (a bigram table); generating continues a prompt
 * from its last word, each step taking the most frequent next word (ties: the alphabetically first),
 * and stops early at a word nothing ever followed.
 */
export const MAGIC = '#wacs-ngram 1\n';

/** Words are lower-cased runs of non-space characters, so "." is a word too. */
export function words(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

export interface Step {
  word: string;
  /** How often the corpus has this word after the previous one. */
  count: number;
}

export class BigramTable {
  private constructor(private readonly next: ReadonlyMap<string, ReadonlyMap<string, number>>) {}

  static fromCorpus(corpus: string): BigramTable {
    const next = new Map<string, Map<string, number>>();
    const all = words(corpus);
    for (let i = 0; i + 1 < all.length; i++) {
      const followers = next.get(all[i]!) ?? new Map<string, number>();
      followers.set(all[i + 1]!, (followers.get(all[i + 1]!) ?? 0) + 1);
      next.set(all[i]!, followers);
    }
    return new BigramTable(next);
  }

  /** The most frequent follower of `word`, or undefined when nothing follows it. */
  follow(word: string): Step | undefined {
    let best: Step | undefined;
    for (const [candidate, count] of this.next.get(word) ?? []) {
      if (!best || count > best.count || (count === best.count && candidate < best.word)) best = { word: candidate, count };
    }
    return best;
  }

  /** Up to `steps` words after `last`. */
  *continue(last: string, steps: number): Generator<Step> {
    let word = last;
    for (let i = 0; i < steps; i++) {
      const step = this.follow(word);
      if (!step) return;
      yield step;
      word = step.word;
    }
  }
}
