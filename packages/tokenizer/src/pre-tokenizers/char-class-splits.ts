/**
 * The pre-tokenizers that cut on a character predicate: Digits, Punctuation, WhitespaceSplit, CharDelimiterSplit.
 * Each reproduces the Rust predicate through the oracle's character tables.
 */
import { CharPattern } from '../patterns/pattern.js';
import type { SplitBehavior } from '../text/normalized-string.js';
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { punctuation, rustNumeric, rustWhitespace } from '../unicode/classes.js';
import { splitRangeWith } from './pattern-split.js';
import { applySplitting, type SplittingPreTokenizer } from './pre-tokenizer.js';

abstract class CharClassSplit implements SplittingPreTokenizer {
  abstract readonly type: string;
  protected abstract readonly pattern: CharPattern;
  protected abstract readonly behavior: SplitBehavior;

  splitRange(text: string, start: number, end: number, out: number[]): void {
    splitRangeWith(this.pattern, this.behavior, text, start, end, out);
  }

  preTokenize(pts: PreTokenizedString): void {
    applySplitting(this, pts);
  }
}

/** Digits: numeric characters (Rust `char::is_numeric`) apart, one by one or as runs. */
export class DigitsPreTokenizer extends CharClassSplit {
  readonly type = 'Digits';
  protected readonly pattern = new CharPattern((cp) => rustNumeric.has(cp));
  protected readonly behavior: SplitBehavior;

  constructor(readonly individualDigits: boolean) {
    super();
    this.behavior = individualDigits ? 'Isolated' : 'Contiguous';
  }

  override splitRange(text: string, start: number, end: number, out: number[]): void {
    // Most pieces hold no digit: nothing to cut.
    let any = false;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if ((c >= 0x30 && c <= 0x39) || (c >= 0x80 && rustNumeric.has(text.codePointAt(i)!))) {
        any = true;
        break;
      }
    }
    if (!any) out.push(start, end);
    else super.splitRange(text, start, end, out);
  }
}

/** Punctuation: ASCII punctuation and Unicode punctuation apart. */
export class PunctuationPreTokenizer extends CharClassSplit {
  readonly type = 'Punctuation';
  protected readonly pattern = new CharPattern((cp) => punctuation.has(cp));

  constructor(protected readonly behavior: SplitBehavior = 'Isolated') {
    super();
  }

  override splitRange(text: string, start: number, end: number, out: number[]): void {
    let any = false;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80 ? punctuation.has(c) : punctuation.has(text.codePointAt(i)!)) {
        any = true;
        break;
      }
    }
    if (!any) out.push(start, end);
    else super.splitRange(text, start, end, out);
  }
}

/** WhitespaceSplit: cuts on whitespace (Rust `char::is_whitespace`), dropping it. */
export class WhitespaceSplitPreTokenizer extends CharClassSplit {
  readonly type = 'WhitespaceSplit';
  protected readonly pattern = new CharPattern((cp) => rustWhitespace.has(cp));
  protected readonly behavior: SplitBehavior = 'Removed';
}

/** CharDelimiterSplit: cuts on one character, dropping it. */
export class CharDelimiterSplitPreTokenizer extends CharClassSplit {
  readonly type = 'CharDelimiterSplit';
  protected readonly pattern: CharPattern;
  protected readonly behavior: SplitBehavior = 'Removed';

  constructor(readonly delimiter: string) {
    super();
    const cp = delimiter.codePointAt(0)!;
    this.pattern = new CharPattern((c) => c === cp);
  }
}
