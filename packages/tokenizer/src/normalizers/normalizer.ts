/** The contract of the normalizers: rewrite a NormalizedString in place, keeping its alignment. */
import type { NormalizedString } from '../text/normalized-string.js';

export interface Normalizer {
  readonly type: string;
  normalize(ns: NormalizedString): void;
  /**
   * True when normalizing `text` would change nothing (same text, identity alignment): lets the fast encoding path
   * skip building a NormalizedString. Normalizers that cannot tell cheaply return false.
   */
  leavesUnchanged(text: string): boolean;
}
