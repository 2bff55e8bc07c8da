/**
 * A piece of the input text as the normalizers and pre-tokenizers transform it, with the alignment that maps every
 * character of the transformed ("normalized") text back to a range of the original text. It reproduces Hugging
 * Face's `NormalizedString`, whose alignment rules decide every offset a tokenizer reports, but counts in UTF-16
 * units instead of UTF-8 bytes: every unit of a character carries that character's alignment, so the two agree
 * character for character.
 *
 * While nothing has changed the text, the alignment is the identity and is not materialised (`align === null`):
 * most pieces of most inputs never pay for it.
 */
import type { Pattern } from '../patterns/pattern.js';
import { rustWhitespace } from '../unicode/classes.js';

/** How a split treats the delimiters it finds (Hugging Face's `SplitDelimiterBehavior`). */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** A character of a transformation's output and how it relates to the characters it replaces (see transform). */
export interface Transformation {
  /** Code points of the new text. */
  cps: number[];
  /** Per code point: 0 replaces one old character, 1 is inserted, -n replaces one and removes n more after it. */
  changes: number[];
}

export class NormalizedString {
  /**
   * Alignment of each normalized UTF-16 unit as [start, end) pairs in `original`, or null for the identity
   * (normalized === original, each character aligned to itself).
   */
  private align: Int32Array | null;

  constructor(
    /** The original text of this piece. */
    public original: string,
    /** Where `original` starts in the whole input (UTF-16 units). */
    public originalShift = 0,
    normalized?: string,
    align?: Int32Array | null,
  ) {
    this.normalized = normalized ?? original;
    this.align = align ?? null;
  }

  /** The transformed text. */
  normalized: string;

  get length(): number {
    return this.normalized.length;
  }

  isIdentity(): boolean {
    return this.align === null;
  }

  /** The alignment pairs, materialised if still the identity. */
  alignments(): Int32Array {
    if (this.align !== null) return this.align;
    const text = this.normalized;
    const out = new Int32Array(text.length * 2);
    for (let i = 0; i < text.length; ) {
      const width = text.codePointAt(i)! > 0xffff ? 2 : 1;
      for (let k = 0; k < width; k++) {
        out[2 * (i + k)] = i;
        out[2 * (i + k) + 1] = i + width;
      }
      i += width;
    }
    this.align = out;
    return out;
  }

  /**
   * Converts a normalized range to a range of `original` (Hugging Face's `convert_offsets` from the normalized
   * referential), or null when out of range. An empty range comes back unchanged, as in Hugging Face.
   */
  convertToOriginal(start: number, end: number): [number, number] | null {
    if (start === end) return [start, end];
    if (start > end || end > this.normalized.length) return null;
    const align = this.align;
    if (align === null) return [start, end];
    return [align[2 * start], align[2 * (end - 1) + 1]];
  }

  /** The sub-piece for a normalized range (Hugging Face's `slice`), or null if not on character boundaries. */
  slice(start: number, end: number): NormalizedString | null {
    if (!isBoundary(this.normalized, start) || !isBoundary(this.normalized, end)) return null;
    const range = this.convertToOriginal(start, end);
    if (range === null) return null;
    const [originalStart, originalEnd] = range;
    const normalized = this.normalized.slice(start, end);
    if (this.align === null) {
      return new NormalizedString(normalized, this.originalShift + originalStart);
    }
    const align = this.align.slice(2 * start, 2 * end);
    for (let i = 0; i < align.length; i++) align[i] -= originalStart;
    return new NormalizedString(
      this.original.slice(originalStart, originalEnd),
      this.originalShift + originalStart,
      normalized,
      align,
    );
  }

  /**
   * Replaces normalized[start, end) with new characters, updating the alignment the way Hugging Face's
   * `transform_range` does: a character with change <= 0 takes the alignment of the old character it replaces,
   * an inserted one (change > 0) that of the old character just before the current position. `initialOffset` old
   * characters at the start of the range are removed first.
   */
  transformRange(start: number, end: number, t: Transformation, initialOffset: number): void {
    this.applyEdits([{ start, end, t, initialOffset }]);
  }

  /**
   * Applies several transformRange edits (sorted, non-overlapping ranges of the current text) in one pass, every
   * edit reading the alignment as it was before any of them: what one transform over the whole text would do.
   */
  applyEdits(edits: ReadonlyArray<{ start: number; end: number; t: Transformation; initialOffset: number }>): void {
    const old = this.normalized;
    const oldAlign = this.alignments();
    let units = old.length;
    for (const { start, end, t } of edits) {
      units -= end - start;
      for (const cp of t.cps) units += cp > 0xffff ? 2 : 1;
    }
    const align = new Int32Array(units * 2);
    const parts: string[] = [];
    let w = 0;
    let copied = 0;
    for (const { start, end, t, initialOffset } of edits) {
      parts.push(old.slice(copied, start));
      align.set(oldAlign.subarray(2 * copied, 2 * start), w);
      w += 2 * (start - copied);
      let pos = start;
      for (let k = 0; k < initialOffset && pos < end; k++) pos += charWidthAt(old, pos);
      const { cps, changes } = t;
      const codes: number[] = [];
      for (let k = 0; k < cps.length; k++) {
        const cp = cps[k];
        const change = changes[k];
        let alignStart: number;
        let alignEnd: number;
        if (change > 0) {
          alignStart = pos < 1 ? 0 : oldAlign[2 * (pos - 1)];
          alignEnd = pos < 1 ? 0 : oldAlign[2 * (pos - 1) + 1];
        } else {
          alignStart = oldAlign[2 * pos];
          alignEnd = oldAlign[2 * pos + 1];
          pos += charWidthAt(old, pos);
          for (let r = 0; r < -change; r++) pos += charWidthAt(old, pos);
        }
        if (cp > 0xffff) {
          codes.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
          align[w++] = alignStart;
          align[w++] = alignEnd;
        } else {
          codes.push(cp);
        }
        align[w++] = alignStart;
        align[w++] = alignEnd;
      }
      for (let k = 0; k < codes.length; k += 4096) parts.push(String.fromCharCode(...codes.slice(k, k + 4096)));
      copied = end;
    }
    parts.push(old.slice(copied));
    align.set(oldAlign.subarray(2 * copied), w);
    this.align = align;
    this.normalized = parts.join('');
  }

  /** transformRange over the whole normalized text. */
  transform(t: Transformation, initialOffset = 0): void {
    this.transformRange(0, this.normalized.length, t, initialOffset);
  }

  /** Keeps the characters `keep` accepts. */
  filter(keep: (cp: number) => boolean): void {
    const cps = [...codePoints(this.normalized)];
    const kept: number[] = [];
    const changes: number[] = [];
    let removed = 0;
    for (let k = cps.length - 1; k >= 0; k--) {
      if (keep(cps[k])) {
        kept.push(cps[k]);
        changes.push(-removed);
        removed = 0;
      } else {
        removed++;
      }
    }
    if (kept.length === cps.length) return;
    kept.reverse();
    changes.reverse();
    this.transform({ cps: kept, changes }, removed);
  }

  /** Maps each character to one character. */
  map(f: (cp: number) => number): void {
    const cps: number[] = [];
    let changed = false;
    for (const cp of codePoints(this.normalized)) {
      const mapped = f(cp);
      if (mapped !== cp) changed = true;
      cps.push(mapped);
    }
    if (changed) this.transform({ cps, changes: new Array(cps.length).fill(0) });
  }

  /** Maps each character to a string: the first character replaces it, the others are inserted after it. */
  expand(f: (char: string) => string): void {
    const cps: number[] = [];
    const changes: number[] = [];
    let changed = false;
    for (const char of this.normalized) {
      const mapped = f(char);
      if (mapped !== char) changed = true;
      let first = true;
      for (const c of mapped) {
        cps.push(c.codePointAt(0)!);
        changes.push(first ? 0 : 1);
        first = false;
      }
    }
    if (changed) this.transform({ cps, changes });
  }

  /** Prepends text: it takes the place (and alignment) of the first character, which is re-inserted after it. */
  prepend(prefix: string): void {
    if (this.normalized.length === 0 || prefix === '') return;
    const first = this.normalized.codePointAt(0)!;
    const cps = [...codePoints(prefix), first];
    const changes = cps.map((_, k) => (k === 0 ? 0 : 1));
    this.transformRange(0, first > 0xffff ? 2 : 1, { cps, changes }, 0);
  }

  /** Appends text after the last character, sharing its alignment. */
  append(suffix: string): void {
    if (this.normalized.length === 0 || suffix === '') return;
    const lastStart = lastCharStart(this.normalized);
    const cps = [this.normalized.codePointAt(lastStart)!, ...codePoints(suffix)];
    const changes = cps.map((_, k) => (k === 0 ? 0 : 1));
    this.transformRange(lastStart, this.normalized.length, { cps, changes }, 0);
  }

  /** Replaces every match of the pattern with content (Hugging Face's `replace`). */
  replace(pattern: Pattern, content: string): void {
    const matches = pattern.findMatches(this.normalized);
    const contentCps = [...codePoints(content)];
    const ones = contentCps.map(() => 1);
    let offset = 0;
    for (let i = 0; i < matches.length; i += 3) {
      if (matches[i + 2] !== 1) continue;
      const start = Math.max(0, matches[i] + offset);
      const end = Math.max(0, matches[i + 1] + offset);
      const removedChars = countChars(this.normalized, start, end);
      this.transformRange(start, end, { cps: contentCps, changes: ones }, removedChars);
      offset += content.length - (matches[i + 1] - matches[i]);
    }
  }

  /** Removes leading and/or trailing whitespace (Rust's `char::is_whitespace`). */
  strip(left: boolean, right: boolean): void {
    const cps = [...codePoints(this.normalized)];
    let leading = 0;
    if (left) while (leading < cps.length && rustWhitespace.has(cps[leading])) leading++;
    let trailing = 0;
    if (right) while (trailing < cps.length && rustWhitespace.has(cps[cps.length - 1 - trailing])) trailing++;
    if (leading === 0 && trailing === 0) return;
    const kept: number[] = [];
    const changes: number[] = [];
    for (let k = 0; k < cps.length; k++) {
      if (k < leading || k >= cps.length - trailing) continue;
      kept.push(cps[k]);
      changes.push(k === cps.length - trailing - 1 ? -trailing : 0);
    }
    this.transform({ cps: kept, changes }, leading);
  }

  /**
   * Splits on the pattern's matches with the given behaviour for the delimiters (Hugging Face's `split`). Empty
   * pieces are kept; the caller filters them.
   */
  split(pattern: Pattern, behavior: SplitBehavior): NormalizedString[] {
    const pieces = splitOffsets(pattern.findMatches(this.normalized), behavior);
    const out: NormalizedString[] = [];
    for (let i = 0; i < pieces.length; i += 2) {
      const piece = this.slice(pieces[i], pieces[i + 1]);
      if (piece === null) throw new Error('NormalizedString: a split fell inside a character');
      out.push(piece);
    }
    return out;
  }
}

/**
 * Applies a split behaviour to a match list ([start, end, isMatch] triples), returning the [start, end) pairs of the
 * pieces to keep, in order.
 */
export function splitOffsets(matches: number[], behavior: SplitBehavior): number[] {
  const out: number[] = [];
  const n = matches.length;
  switch (behavior) {
    case 'Isolated':
      for (let i = 0; i < n; i += 3) out.push(matches[i], matches[i + 1]);
      return out;
    case 'Removed':
      for (let i = 0; i < n; i += 3) if (matches[i + 2] !== 1) out.push(matches[i], matches[i + 1]);
      return out;
    case 'Contiguous': {
      let previousMatch = false;
      for (let i = 0; i < n; i += 3) {
        const isMatch = matches[i + 2] === 1;
        if (isMatch === previousMatch && out.length > 0) out[out.length - 1] = matches[i + 1];
        else out.push(matches[i], matches[i + 1]);
        previousMatch = isMatch;
      }
      return out;
    }
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (let i = 0; i < n; i += 3) {
        const isMatch = matches[i + 2] === 1;
        if (isMatch && !previousMatch && out.length > 0) out[out.length - 1] = matches[i + 1];
        else out.push(matches[i], matches[i + 1]);
        previousMatch = isMatch;
      }
      return out;
    }
    case 'MergedWithNext': {
      // Walk backwards, merging each match into the piece after it.
      const reversed: number[] = [];
      let previousMatch = false;
      for (let i = n - 3; i >= 0; i -= 3) {
        const isMatch = matches[i + 2] === 1;
        if (isMatch && !previousMatch && reversed.length > 0) reversed[reversed.length - 2] = matches[i];
        else reversed.push(matches[i], matches[i + 1]);
        previousMatch = isMatch;
      }
      for (let i = reversed.length - 2; i >= 0; i -= 2) out.push(reversed[i], reversed[i + 1]);
      return out;
    }
  }
}

function isBoundary(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return i === 0 || i === text.length;
  const c = text.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff) return true;
  const p = text.charCodeAt(i - 1);
  return p < 0xd800 || p > 0xdbff;
}

function charWidthAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d < 0xe000) return 2;
  }
  return 1;
}

function lastCharStart(text: string): number {
  const i = text.length - 1;
  return i > 0 && !isBoundary(text, i) ? i - 1 : i;
}

function countChars(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += charWidthAt(text, i)) n++;
  return n;
}

export function* codePoints(text: string): Generator<number> {
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    yield cp;
    i += cp > 0xffff ? 2 : 1;
  }
}
