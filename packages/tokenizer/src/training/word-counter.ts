/**
 * Counts the words a tokenizer's normalizer and pre-tokenizer make of training text, as Hugging Face's trainer does
 * (`feed`: normalize, pre-tokenize, count the pieces; no added-token extraction). Splitting-only pipelines count
 * raw pieces of the input and spell them as byte-level characters once per distinct piece.
 */
import { toByteLevel } from '../byte-level/byte-chars.js';
import type { Normalizer } from '../normalizers/normalizer.js';
import { ByteLevelPreTokenizer } from '../pre-tokenizers/byte-level.js';
import { isSplitting, type PreTokenizer, type SplittingPreTokenizer } from '../pre-tokenizers/pre-tokenizer.js';
import { cutInSequence, SequencePreTokenizer } from '../pre-tokenizers/sequence.js';
import { toWellFormed } from '../text/code-points.js';
import { NormalizedString } from '../text/normalized-string.js';
import { PreTokenizedString } from '../text/pre-tokenized-string.js';

export class WordCounter {
  /** Raw pieces (fast route) or final words (general route) with their counts. */
  private readonly counts = new Map<string, number>();
  private readonly splitters: SplittingPreTokenizer[] | undefined;
  private readonly byteLevel: boolean;
  private readonly pieces: number[] = [];

  constructor(
    private readonly normalizer: Normalizer | null,
    private readonly preTokenizer: PreTokenizer | null,
  ) {
    const steps =
      preTokenizer === null
        ? []
        : preTokenizer instanceof SequencePreTokenizer
          ? [...preTokenizer.members]
          : [preTokenizer];
    const splitters: SplittingPreTokenizer[] = [];
    let byteLevel = false;
    let fast = normalizer === null;
    steps.forEach((step, k) => {
      if (step instanceof ByteLevelPreTokenizer && !step.addPrefixSpace && k === steps.length - 1) {
        const scanner = step.scanner;
        if (scanner !== undefined) {
          splitters.push({
            type: 'ByteLevel',
            splitRange: (t, s, e, o) => scanner.scan(t, s, e, o),
            preTokenize: () => {},
          });
        }
        byteLevel = true;
      } else if (isSplitting(step)) {
        splitters.push(step);
      } else {
        fast = false;
      }
    });
    this.splitters = fast ? splitters : undefined;
    this.byteLevel = byteLevel;
  }

  /** Adds the words of one sequence (a line, with its line ending, when reading files). */
  add(sequence: string): void {
    const text = toWellFormed(sequence);
    const counts = this.counts;
    if (this.splitters !== undefined) {
      const pieces = this.pieces;
      pieces.length = 0;
      cutInSequence(this.splitters, text, 0, text.length, pieces);
      for (let p = 0; p < pieces.length; p += 2) {
        const word = text.slice(pieces[p], pieces[p + 1]);
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
      return;
    }
    const ns = new NormalizedString(text);
    this.normalizer?.normalize(ns);
    const pts = new PreTokenizedString([{ ns, tokens: null }]);
    this.preTokenizer?.preTokenize(pts);
    for (const split of pts.splits) {
      const word = split.ns.normalized;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }

  /** The words (as the model sees them) and their counts. */
  words(): Map<string, number> {
    if (this.splitters === undefined || !this.byteLevel) return new Map(this.counts);
    const out = new Map<string, number>();
    for (const [piece, count] of this.counts) {
      const word = toByteLevel(piece, 0, piece.length);
      out.set(word, (out.get(word) ?? 0) + count);
    }
    return out;
  }
}
