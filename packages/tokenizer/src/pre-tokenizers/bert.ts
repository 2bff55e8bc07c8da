/** BertPreTokenizer: cuts on whitespace (dropped), then isolates each punctuation character. */
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { punctuation, rustWhitespace } from '../unicode/classes.js';
import { applySplitting, type SplittingPreTokenizer } from './pre-tokenizer.js';

export class BertPreTokenizer implements SplittingPreTokenizer {
  readonly type = 'BertPreTokenizer';

  splitRange(text: string, start: number, end: number, out: number[]): void {
    let pieceStart = -1;
    for (let i = start; i < end; ) {
      const cp = text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      if (rustWhitespace.has(cp)) {
        if (pieceStart >= 0) out.push(pieceStart, i);
        pieceStart = -1;
      } else if (punctuation.has(cp)) {
        if (pieceStart >= 0) out.push(pieceStart, i);
        out.push(i, i + width);
        pieceStart = -1;
      } else if (pieceStart < 0) {
        pieceStart = i;
      }
      i += width;
    }
    if (pieceStart >= 0) out.push(pieceStart, end);
  }

  preTokenize(pts: PreTokenizedString): void {
    applySplitting(this, pts);
  }
}
