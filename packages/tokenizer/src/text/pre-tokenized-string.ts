/**
 * The input of one sequence as a list of pieces ("splits") on its way to the model: each is a NormalizedString,
 * possibly already tokenized (added tokens are). Reproduces Hugging Face's `PreTokenizedString`: pre-tokenizers
 * replace each untokenized split by the pieces they cut it into, dropping empty ones, and the position of a split
 * in the final list is the word index of its tokens.
 */
import type { NormalizedString } from './normalized-string.js';

/** Tokens attached to a split, offsets in the split's normalized text. */
export interface SplitTokens {
  ids: number[];
  starts: number[];
  ends: number[];
  values: Array<string | undefined>;
}

export interface Split {
  ns: NormalizedString;
  tokens: SplitTokens | null;
}

export class PreTokenizedString {
  constructor(public splits: Split[]) {}

  /** Replaces every untokenized split with the pieces `fn` returns (empty pieces are dropped). */
  split(fn: (ns: NormalizedString, index: number) => NormalizedString[]): void {
    const out: Split[] = [];
    this.splits.forEach((split, index) => {
      if (split.tokens !== null) {
        out.push(split);
        return;
      }
      for (const piece of fn(split.ns, index)) if (piece.length > 0) out.push({ ns: piece, tokens: null });
    });
    this.splits = out;
  }

  /** Like split, but the pieces may already carry their tokens (added tokens). */
  splitWithTokens(fn: (ns: NormalizedString) => Split[]): void {
    const out: Split[] = [];
    for (const split of this.splits) {
      if (split.tokens !== null) out.push(split);
      else for (const piece of fn(split.ns)) if (piece.ns.length > 0) out.push(piece);
    }
    this.splits = out;
  }

  /** Transforms every untokenized split in place. */
  normalize(fn: (ns: NormalizedString) => void): void {
    for (const split of this.splits) if (split.tokens === null) fn(split.ns);
  }
}
