/**
 * Whitespace: keeps runs of word characters and runs of other non-space characters, dropping whitespace (Hugging
 * Face's `\w+|[^\w\s]+`, compiled with the Rust `regex` crate: its `\w` and `\s`).
 */
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { rustRegexWord, rustWhitespace } from '../unicode/classes.js';
import { applySplitting, type SplittingPreTokenizer } from './pre-tokenizer.js';

const WORD = 1;
const OTHER = 2;
const SPACE = 3;

function classOf(cp: number): number {
  return rustRegexWord.has(cp) ? WORD : rustWhitespace.has(cp) ? SPACE : OTHER;
}

export class WhitespacePreTokenizer implements SplittingPreTokenizer {
  readonly type = 'Whitespace';

  splitRange(text: string, start: number, end: number, out: number[]): void {
    let runStart = start;
    let runClass = SPACE;
    for (let i = start; i < end; ) {
      const cp = text.codePointAt(i)!;
      const cls = classOf(cp);
      if (cls !== runClass) {
        if (runClass !== SPACE && runStart < i) out.push(runStart, i);
        runStart = i;
        runClass = cls;
      }
      i += cp > 0xffff ? 2 : 1;
    }
    if (runClass !== SPACE && runStart < end) out.push(runStart, end);
  }

  preTokenize(pts: PreTokenizedString): void {
    applySplitting(this, pts);
  }
}
