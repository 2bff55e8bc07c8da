/**
 * A hand-written scanner equivalent to GPT-2's pre-tokenizer regex, which the ByteLevel pre-tokenizer applies when
 * `use_regex` is true:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 */
import { contractionLength } from './llama3-scanner.js';
import { SPACE, scannerClassTable } from './scanner-classes.js';

export class Gpt2Scanner {
  private readonly classes = scannerClassTable();

  scan(text: string, start: number, end: number, out: number[]): void {
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 0x27) {
        const n = contractionLength(text, i + 1, end, false);
        if (n > 0) {
          out.push(i, i + 1 + n);
          i += 1 + n;
          continue;
        }
      }
      let from = i;
      if (c === 0x20 && i + 1 < end && this.classWidthAt(text, i + 1, end) >>> 2 !== SPACE) from = i + 1;
      const cw = this.classWidthAt(text, from, end);
      const cls = cw >>> 2;
      let j: number;
      if (cls !== SPACE) {
        j = from + (cw & 3);
        while (j < end) {
          const next = this.classWidthAt(text, j, end);
          if (next >>> 2 !== cls) break;
          j += next & 3;
        }
      } else {
        let r = i + 1;
        while (r < end && this.classWidthAt(text, r, end) >>> 2 === SPACE) r++;
        j = r === end || r - i === 1 ? r : r - 1;
      }
      out.push(i, j);
      i = j;
    }
  }

  private classWidthAt(text: string, i: number, end: number): number {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) return (this.classes[0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)] << 2) | 2;
    }
    return (this.classes[c] << 2) | 1;
  }
}
