/** The contract of the pre-tokenizers: cut (and possibly rewrite) the splits of a PreTokenizedString. */
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';

export interface PreTokenizer {
  readonly type: string;
  preTokenize(pts: PreTokenizedString): void;
}

/**
 * A pre-tokenizer that only cuts, never rewrites: it can work on offsets into a shared string, which the fast
 * encoding path uses to avoid building a NormalizedString per piece.
 */
export interface SplittingPreTokenizer extends PreTokenizer {
  /** Appends the [start, end) pairs of the non-empty pieces of text[start, end) to out, in order. */
  splitRange(text: string, start: number, end: number, out: number[]): void;
}

export function isSplitting(p: PreTokenizer): p is SplittingPreTokenizer {
  return typeof (p as Partial<SplittingPreTokenizer>).splitRange === 'function';
}

/** Runs a splitting pre-tokenizer over the splits of a PreTokenizedString. */
export function applySplitting(p: SplittingPreTokenizer, pts: PreTokenizedString): void {
  const pieces: number[] = [];
  pts.split((ns) => {
    pieces.length = 0;
    p.splitRange(ns.normalized, 0, ns.length, pieces);
    const out = [];
    for (let i = 0; i < pieces.length; i += 2) {
      const piece = ns.slice(pieces[i], pieces[i + 1]);
      if (piece === null) throw new Error(`${p.type}: a piece boundary fell inside a character`);
      out.push(piece);
    }
    return out;
  });
}
