/**
 * The four character classes the GPT-2 / Llama-3 family of pre-tokenizer regexes distinguish, one byte per code
 * point: letters (`\p{L}`), numbers (`\p{N}`), whitespace (Oniguruma `\s`) and everything else. Built once from the
 * oracle's Unicode tables (general-category.ts), so the hand-written scanners agree with the regexes exactly.
 */
import { onigSpace } from '../unicode/classes.js';
import { categoryTable, LETTER_MASK, NUMBER_MASK } from '../unicode/general-category.js';

export const OTHER = 0;
export const LETTER = 1;
export const NUMBER = 2;
export const SPACE = 3;

let table: Uint8Array | undefined;

export function scannerClassTable(): Uint8Array {
  if (table !== undefined) return table;
  const categories = categoryTable();
  const out = new Uint8Array(0x110000);
  for (let cp = 0; cp < 0x110000; cp++) {
    const bit = 1 << categories[cp];
    out[cp] = bit & LETTER_MASK ? LETTER : bit & NUMBER_MASK ? NUMBER : OTHER;
  }
  for (let cp = 0; cp < 0x3001; cp++) if (onigSpace.has(cp)) out[cp] = SPACE;
  table = out;
  return out;
}
