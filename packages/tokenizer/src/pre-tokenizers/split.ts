/**
 * Split: cuts on a literal string or an Oniguruma regex (translated to JavaScript, or run by a hand-written scanner
 * for the GPT-2 / Llama-3 / Qwen2 patterns) with a delimiter behaviour, optionally inverted.
 */
import { type Scanner, scannerFor } from '../patterns/known-patterns.js';
import { onigToJs } from '../patterns/onig-to-js.js';
import { InvertedPattern, type Pattern, RegexPattern, StringPattern } from '../patterns/pattern.js';
import type { SplitBehavior } from '../text/normalized-string.js';
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { splitRangeWith } from './pattern-split.js';
import { applySplitting, type SplittingPreTokenizer } from './pre-tokenizer.js';

export type SplitPatternSpec = { String: string } | { Regex: string };

export class SplitPreTokenizer implements SplittingPreTokenizer {
  readonly type = 'Split';
  private readonly pattern: Pattern;
  /** Set when the pattern has a scanner and the behaviour keeps every piece as it is. */
  private readonly scanner: Scanner | undefined;

  constructor(
    readonly spec: SplitPatternSpec,
    readonly behavior: SplitBehavior,
    readonly invert: boolean,
  ) {
    let pattern: Pattern;
    if ('Regex' in spec) {
      const scanner = scannerFor(spec.Regex);
      this.scanner = behavior === 'Isolated' && !invert ? scanner : undefined;
      pattern = this.scanner === undefined ? new RegexPattern(onigToJs(spec.Regex)) : new RegexPattern(/(?:)/gu);
    } else {
      pattern = new StringPattern(spec.String);
    }
    this.pattern = invert ? new InvertedPattern(pattern) : pattern;
  }

  splitRange(text: string, start: number, end: number, out: number[]): void {
    if (this.scanner !== undefined) this.scanner.scan(text, start, end, out);
    else splitRangeWith(this.pattern, this.behavior, text, start, end, out);
  }

  preTokenize(pts: PreTokenizedString): void {
    applySplitting(this, pts);
  }
}
