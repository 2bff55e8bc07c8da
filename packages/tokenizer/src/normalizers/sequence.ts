/** Sequence: runs normalizers one after the other. */
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

export class SequenceNormalizer implements Normalizer {
  readonly type = 'Sequence';

  constructor(readonly members: readonly Normalizer[]) {}

  normalize(ns: NormalizedString): void {
    for (const member of this.members) member.normalize(ns);
  }

  leavesUnchanged(text: string): boolean {
    return this.members.every((m) => m.leavesUnchanged(text));
  }
}
