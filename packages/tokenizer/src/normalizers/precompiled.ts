/** Precompiled (SentencePiece's compiled normalization rules). */

import { UnsupportedComponentError } from '../errors.js';
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

export class PrecompiledNormalizer implements Normalizer {
  readonly type = 'Precompiled';

  constructor(readonly charsmap: string) {
    throw new UnsupportedComponentError('normalizer', 'Precompiled', 'SentencePiece charsmaps are not implemented yet');
  }

  normalize(_ns: NormalizedString): void {}

  leavesUnchanged(): boolean {
    return false;
  }
}
