/** FixedLength: cuts into pieces of `length` characters. */
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { applySplitting, type SplittingPreTokenizer } from './pre-tokenizer.js';

export class FixedLengthPreTokenizer implements SplittingPreTokenizer {
  readonly type = 'FixedLength';

  constructor(readonly length: number) {}

  splitRange(text: string, start: number, end: number, out: number[]): void {
    if (this.length === 0) {
      if (start < end) out.push(start, end);
      return;
    }
    let pieceStart = start;
    let count = 0;
    for (let i = start; i < end; ) {
      i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      if (++count === this.length) {
        out.push(pieceStart, i);
        pieceStart = i;
        count = 0;
      }
    }
    if (pieceStart < end) out.push(pieceStart, end);
  }

  preTokenize(pts: PreTokenizedString): void {
    applySplitting(this, pts);
  }
}
