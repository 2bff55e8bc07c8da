/**
 * ByteLevel: optionally prepends a space to each split, optionally cuts it with GPT-2's regex, then rewrites every
 * character as the byte-level stand-ins of its UTF-8 bytes (the first byte replaces the character, the others are
 * inserted after it and share its alignment).
 */
import { BYTE_TO_CHAR } from '../byte-level/byte-chars.js';
import { Gpt2Scanner } from '../patterns/gpt2-scanner.js';
import type { NormalizedString } from '../text/normalized-string.js';
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import type { PreTokenizer } from './pre-tokenizer.js';

export class ByteLevelPreTokenizer implements PreTokenizer {
  readonly type = 'ByteLevel';
  /** The GPT-2 splitter applied when use_regex is on (also used by the fast encoding path). */
  readonly scanner: Gpt2Scanner | undefined;

  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsets: boolean,
    readonly useRegex: boolean,
  ) {
    this.scanner = useRegex ? new Gpt2Scanner() : undefined;
  }

  preTokenize(pts: PreTokenizedString): void {
    const pieces: number[] = [];
    pts.split((ns) => {
      if (this.addPrefixSpace && !ns.normalized.startsWith(' ')) ns.prepend(' ');
      if (this.scanner === undefined) return [ns];
      pieces.length = 0;
      this.scanner.scan(ns.normalized, 0, ns.length, pieces);
      const out: NormalizedString[] = [];
      for (let i = 0; i < pieces.length; i += 2) out.push(ns.slice(pieces[i], pieces[i + 1])!);
      return out;
    });
    pts.normalize(toByteLevelChars);
  }
}

/** Rewrites a NormalizedString as byte-level characters. */
export function toByteLevelChars(ns: NormalizedString): void {
  const cps: number[] = [];
  const changes: number[] = [];
  const bytes = new TextEncoder().encode(ns.normalized);
  let b = 0;
  for (const char of ns.normalized) {
    const cp = char.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) {
      cps.push(BYTE_TO_CHAR[bytes[b++]].charCodeAt(0));
      changes.push(k > 0 ? 1 : 0);
    }
  }
  ns.transform({ cps, changes }, 0);
}
