/** Strip (leading/trailing whitespace) and StripAccents (removes non-spacing marks). */
import type { NormalizedString } from '../text/normalized-string.js';
import { nonSpacingMark, rustWhitespace } from '../unicode/classes.js';
import type { Normalizer } from './normalizer.js';

export class StripNormalizer implements Normalizer {
  readonly type = 'Strip';

  constructor(
    readonly left: boolean,
    readonly right: boolean,
  ) {}

  normalize(ns: NormalizedString): void {
    ns.strip(this.left, this.right);
  }

  leavesUnchanged(text: string): boolean {
    if (text.length === 0) return true;
    const first = text.codePointAt(0)!;
    const last = text.codePointAt(text.length - 1)!;
    return !(this.left && rustWhitespace.has(first)) && !(this.right && rustWhitespace.has(last));
  }
}

export class StripAccentsNormalizer implements Normalizer {
  readonly type = 'StripAccents';

  normalize(ns: NormalizedString): void {
    ns.filter((cp) => !nonSpacingMark.has(cp));
  }

  leavesUnchanged(text: string): boolean {
    for (const char of text) if (nonSpacingMark.has(char.codePointAt(0)!)) return false;
    return true;
  }
}
