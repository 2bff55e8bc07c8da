/** Sequence: runs pre-tokenizers one after the other. A sequence of splitting ones is itself splitting. */
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import { isSplitting, type PreTokenizer, type SplittingPreTokenizer } from './pre-tokenizer.js';

export class SequencePreTokenizer implements PreTokenizer {
  readonly type = 'Sequence';

  constructor(readonly members: readonly PreTokenizer[]) {}

  preTokenize(pts: PreTokenizedString): void {
    for (const member of this.members) member.preTokenize(pts);
  }
}

/** A Sequence whose members only cut: applies them to ranges of a shared string. */
export class SplittingSequence extends SequencePreTokenizer implements SplittingPreTokenizer {
  private readonly splitters: SplittingPreTokenizer[];

  constructor(members: readonly SplittingPreTokenizer[]) {
    super(members);
    this.splitters = [...members];
  }

  splitRange(text: string, start: number, end: number, out: number[]): void {
    cutInSequence(this.splitters, text, start, end, out);
  }
}

/** Applies splitters in turn to text[start, end), appending the final pieces to out. */
export function cutInSequence(
  splitters: readonly SplittingPreTokenizer[],
  text: string,
  start: number,
  end: number,
  out: number[],
): void {
  if (splitters.length === 0) {
    if (start < end) out.push(start, end);
    return;
  }
  if (splitters.length === 1) {
    splitters[0].splitRange(text, start, end, out);
    return;
  }
  let current = [start, end];
  for (let k = 0; k < splitters.length; k++) {
    const last = k === splitters.length - 1;
    const next: number[] = last ? out : [];
    for (let i = 0; i < current.length; i += 2) splitters[k].splitRange(text, current[i], current[i + 1], next);
    current = next;
  }
}

export function sequenceOf(members: readonly PreTokenizer[]): PreTokenizer {
  return members.every(isSplitting)
    ? new SplittingSequence(members as SplittingPreTokenizer[])
    : new SequencePreTokenizer(members);
}
