/**
 * ByteLevel post-processor: with trim_offsets, moves token offsets past the leading and trailing spaces (`Ġ` or
 * whitespace) the token text carries, so offsets cover the word only.
 */
import type { Encoding } from '../encoding.js';
import { rustWhitespace } from '../unicode/classes.js';
import type { PostProcessor } from './post-processor.js';

const G = 'Ġ';

function isSpaceChar(char: string): boolean {
  return char === G || rustWhitespace.has(char.codePointAt(0)!);
}

/** Hugging Face's `process_offsets`, applied to an encoding (not its overflowing windows). */
export function trimOffsets(encoding: Encoding, addPrefixSpace: boolean): void {
  const tokens = encoding.tokens;
  const { starts, ends } = encoding;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const first = token.charCodeAt(0);
    const last = token.charCodeAt(token.length - 1);
    // Fast exit: most tokens neither start nor end with a space-like character.
    if (
      token.length === 0 ||
      (first < 0x80 && first !== 0x20 && first > 0x0d && last < 0x80 && last !== 0x20 && last > 0x0d)
    ) {
      continue;
    }
    const chars = [...token];
    let leading = 0;
    while (leading < chars.length && isSpaceChar(chars[leading])) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpaceChar(chars[chars.length - 1 - trailing])) trailing++;
    if (leading === 0 && trailing === 0) continue;
    if (leading > 0) {
      const isFirst = i === 0 || starts[i] === 0;
      if (isFirst && addPrefixSpace && leading === 1) leading = 0;
      starts[i] = Math.min(starts[i] + leading, ends[i]);
    }
    if (trailing > 0 && ends[i] >= trailing) ends[i] = Math.max(ends[i] - trailing, starts[i]);
  }
}

export function trimAll(encodings: Encoding[], addPrefixSpace: boolean): void {
  for (const encoding of encodings) {
    trimOffsets(encoding, addPrefixSpace);
    for (const o of encoding.overflowing) trimOffsets(o, addPrefixSpace);
  }
}

export class ByteLevelPostProcessor implements PostProcessor {
  readonly type = 'ByteLevel';

  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsetsEnabled: boolean,
  ) {}

  addedTokens(): number {
    return 0;
  }

  processEncodings(encodings: Encoding[]): Encoding[] {
    if (this.trimOffsetsEnabled) trimAll(encodings, this.addPrefixSpace);
    for (let i = 0; i < encodings.length; i++) encodings[i].setSequenceId(i);
    return encodings;
  }
}
