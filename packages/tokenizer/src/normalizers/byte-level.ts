/** ByteLevel normalizer: rewrites the text as GPT-2 byte-level characters (as the pre-tokenizer of the same name). */
import { toByteLevelChars } from '../pre-tokenizers/byte-level.js';
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

export class ByteLevelNormalizer implements Normalizer {
  readonly type = 'ByteLevel';

  normalize(ns: NormalizedString): void {
    toByteLevelChars(ns);
  }

  leavesUnchanged(): boolean {
    return false;
  }
}
