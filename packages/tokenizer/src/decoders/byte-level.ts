/**
 * ByteLevel decoder: maps byte-level characters back to bytes (tokens with other characters contribute their own
 * UTF-8) and decodes everything as one UTF-8 string, invalid sequences becoming U+FFFD.
 */
import { CHAR_TO_BYTE } from '../byte-level/byte-chars.js';
import type { Decoder } from './decoder.js';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

export class ByteLevelDecoder implements Decoder {
  readonly type = 'ByteLevel';

  decodeChain(tokens: string[]): string[] {
    let total = 0;
    for (const t of tokens) total += t.length * 3;
    const bytes = new Uint8Array(total);
    let n = 0;
    for (const token of tokens) {
      let allByteChars = true;
      for (let i = 0; i < token.length; i++) {
        const c = token.charCodeAt(i);
        if (c >= 0x200 || CHAR_TO_BYTE[c] < 0) {
          allByteChars = false;
          break;
        }
      }
      if (allByteChars) {
        for (let i = 0; i < token.length; i++) bytes[n++] = CHAR_TO_BYTE[token.charCodeAt(i)];
      } else {
        const raw = encoder.encode(token);
        bytes.set(raw, n);
        n += raw.length;
      }
    }
    return [utf8.decode(bytes.subarray(0, n))];
  }
}
