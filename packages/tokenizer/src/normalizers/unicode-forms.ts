/** NFC, NFD, NFKC and NFKD (see unicode/normalize.ts for how the alignment follows Hugging Face's). */
import type { NormalizedString } from '../text/normalized-string.js';
import { type NormalizationForm, normalizeText, normalizeWithAlignment } from '../unicode/normalize.js';
import type { Normalizer } from './normalizer.js';

export class UnicodeFormNormalizer implements Normalizer {
  constructor(readonly type: NormalizationForm) {}

  normalize(ns: NormalizedString): void {
    normalizeWithAlignment(ns, this.type);
  }

  leavesUnchanged(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) {
        // What V8 leaves alone the oracle leaves alone too (its tables are older; normalization is stable).
        return text.normalize(this.type) === text || normalizeText(text, this.type) === text;
      }
    }
    return true;
  }
}
