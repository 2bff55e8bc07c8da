/** Shared by the splitting pre-tokenizers: cut text[start, end) with a Pattern and a delimiter behaviour. */
import type { Pattern } from '../patterns/pattern.js';
import { type SplitBehavior, splitOffsets } from '../text/normalized-string.js';

export function splitRangeWith(
  pattern: Pattern,
  behavior: SplitBehavior,
  text: string,
  start: number,
  end: number,
  out: number[],
): void {
  if (start === end) return;
  const sub = start === 0 && end === text.length ? text : text.slice(start, end);
  const pieces = splitOffsets(pattern.findMatches(sub), behavior);
  for (let i = 0; i < pieces.length; i += 2) {
    if (pieces[i] < pieces[i + 1]) out.push(start + pieces[i], start + pieces[i + 1]);
  }
}
