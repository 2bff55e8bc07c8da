/**
 * BertNormalizer: removes control characters and maps whitespace to spaces (clean_text), surrounds CJK ideographs
 * with spaces, strips accents (NFD then drop non-spacing marks) and lowercases, each optional.
 */
import type { NormalizedString } from '../text/normalized-string.js';
import { bertNonSpacingMark, bertRemoved, rustWhitespace } from '../unicode/classes.js';
import { normalizeWithAlignment } from '../unicode/normalize.js';
import { lowercaseChar } from './case.js';
import type { Normalizer } from './normalizer.js';

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isBertWhitespace(cp: number): boolean {
  return cp === 0x09 || cp === 0x0a || cp === 0x0d || rustWhitespace.has(cp);
}

function isBertRemoved(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return cp === 0 || cp === 0xfffd || bertRemoved.has(cp);
}

export class BertNormalizer implements Normalizer {
  readonly type = 'BertNormalizer';

  constructor(
    readonly cleanText: boolean,
    readonly handleChineseChars: boolean,
    readonly stripAccents: boolean,
    readonly lowercase: boolean,
  ) {}

  normalize(ns: NormalizedString): void {
    if (this.cleanText) {
      ns.filter((cp) => !isBertRemoved(cp));
      ns.map((cp) => (isBertWhitespace(cp) ? 0x20 : cp));
    }
    if (this.handleChineseChars) {
      const cps: number[] = [];
      const changes: number[] = [];
      let any = false;
      for (const char of ns.normalized) {
        const cp = char.codePointAt(0)!;
        if (isChineseChar(cp)) {
          cps.push(0x20, cp, 0x20);
          changes.push(1, 0, 1);
          any = true;
        } else {
          cps.push(cp);
          changes.push(0);
        }
      }
      if (any) ns.transform({ cps, changes });
    }
    if (this.stripAccents) {
      normalizeWithAlignment(ns, 'NFD');
      ns.filter((cp) => !bertNonSpacingMark.has(cp));
    }
    if (this.lowercase) ns.expand(lowercaseChar);
  }

  leavesUnchanged(): boolean {
    return false;
  }
}
