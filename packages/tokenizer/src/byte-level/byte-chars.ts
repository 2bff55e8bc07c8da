/**
 * GPT-2's byte-to-character table: byte-level tokenizers spell every byte as a printable character (a space is
 * `Ġ`, a newline `Ċ`), so a vocabulary of strings can hold arbitrary byte sequences.
 */

/** The character that stands for each byte value. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Byte value of each stand-in character's code point (-1 for characters that are not stand-ins). */
export const CHAR_TO_BYTE: Int16Array = buildCharToByte();

function buildByteToChar(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : next++);
  return out;
}

function buildCharToByte(): Int16Array {
  const out = new Int16Array(0x200).fill(-1);
  for (let b = 0; b < 256; b++) out[BYTE_TO_CHAR[b].charCodeAt(0)] = b;
  return out;
}

/** All 256 stand-in characters, in byte order (the initial alphabet of byte-level BPE training). */
export function byteLevelAlphabet(): string[] {
  return [...BYTE_TO_CHAR];
}

/**
 * Spells text[start, end) as byte-level characters. `unitOfByte`, when given, receives for each byte the UTF-16
 * index (relative to start) of the character it came from.
 */
export function toByteLevel(text: string, start: number, end: number, unitOfByte?: number[]): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out += BYTE_TO_CHAR[c];
      unitOfByte?.push(i - start);
      continue;
    }
    const unit = i - start;
    let cp = c;
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
    if (cp < 0x800) {
      out += BYTE_TO_CHAR[0xc0 | (cp >> 6)] + BYTE_TO_CHAR[0x80 | (cp & 63)];
      unitOfByte?.push(unit, unit);
    } else if (cp < 0x10000) {
      out += BYTE_TO_CHAR[0xe0 | (cp >> 12)] + BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)] + BYTE_TO_CHAR[0x80 | (cp & 63)];
      unitOfByte?.push(unit, unit, unit);
    } else {
      out +=
        BYTE_TO_CHAR[0xf0 | (cp >> 18)] +
        BYTE_TO_CHAR[0x80 | ((cp >> 12) & 63)] +
        BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)] +
        BYTE_TO_CHAR[0x80 | (cp & 63)];
      unitOfByte?.push(unit, unit, unit, unit);
    }
  }
  return out;
}
