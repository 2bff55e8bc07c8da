/** Lowercase: each character lowercased on its own (Rust's `char::to_lowercase`, no final-sigma rule). */
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

const lowerCache = new Map<string, string>();

/** Lowercases one character without context. */
export function lowercaseChar(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x80) return code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : char;
  let lower = lowerCache.get(char);
  if (lower === undefined) {
    lower = char.toLowerCase();
    lowerCache.set(char, lower);
  }
  return lower;
}

export class LowercaseNormalizer implements Normalizer {
  readonly type = 'Lowercase';

  normalize(ns: NormalizedString): void {
    ns.expand(lowercaseChar);
  }

  leavesUnchanged(text: string): boolean {
    return text.toLowerCase() === text;
  }
}
