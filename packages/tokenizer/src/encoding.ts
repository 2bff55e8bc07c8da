/**
 * The result of encoding one input (or a pair): token ids with their tokens, offsets, word indices, type ids and
 * masks, plus the overflowing windows truncation cut off. Mirrors Hugging Face's `Encoding`, including how
 * truncation, padding and merging treat every field.
 *
 * Offsets are UTF-16 code-unit offsets into the input string (what `String.prototype.slice` takes); Hugging Face's
 * bindings report Unicode scalar (code point) offsets instead, which `toCodePointOffsets` converts to. Columns are
 * plain arrays held by reference: the pipeline builds them without per-token objects, and `tokens`/`offsets` are
 * materialised on first access.
 */
export interface EncodingColumns {
  ids: number[];
  typeIds: number[];
  /** Token text per position; `undefined` entries are looked up from the id. */
  values: Array<string | undefined>;
  /** Word index per position, -1 for none. */
  words: number[];
  starts: number[];
  ends: number[];
  specialTokensMask: number[];
  attentionMask: number[];
}

export class Encoding {
  readonly ids: number[];
  readonly typeIds: number[];
  readonly starts: number[];
  readonly ends: number[];
  readonly wordIndices: number[];
  readonly specialTokensMask: number[];
  readonly attentionMask: number[];
  overflowing: Encoding[] = [];
  /** Token range of each sequence (0, 1) when known; empty means one sequence covering everything. */
  sequenceRanges = new Map<number, [number, number]>();
  private values: Array<string | undefined>;
  private tokenCache: string[] | undefined;

  constructor(
    columns: EncodingColumns,
    /** Resolves the text of a token from its id (the tokenizer's vocabulary). */
    private readonly idToToken: (id: number) => string | undefined,
  ) {
    this.ids = columns.ids;
    this.typeIds = columns.typeIds;
    this.values = columns.values;
    this.wordIndices = columns.words;
    this.starts = columns.starts;
    this.ends = columns.ends;
    this.specialTokensMask = columns.specialTokensMask;
    this.attentionMask = columns.attentionMask;
  }

  static empty(idToToken: (id: number) => string | undefined): Encoding {
    return new Encoding(
      { ids: [], typeIds: [], values: [], words: [], starts: [], ends: [], specialTokensMask: [], attentionMask: [] },
      idToToken,
    );
  }

  get length(): number {
    return this.ids.length;
  }

  /** The token strings. */
  get tokens(): string[] {
    if (this.tokenCache === undefined) {
      const out: string[] = new Array(this.ids.length);
      for (let i = 0; i < out.length; i++) out[i] = this.values[i] ?? this.idToToken(this.ids[i]) ?? '';
      this.tokenCache = out;
    }
    return this.tokenCache;
  }

  /** [start, end) UTF-16 offsets of each token in the input it came from. */
  get offsets(): Array<[number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i]] as [number, number]);
  }

  /** Word index of each token (null for special and padding tokens). */
  get wordIds(): Array<number | null> {
    return this.wordIndices.map((w) => (w < 0 ? null : w));
  }

  /**
   * Which input sequence (0 or 1) each token belongs to, null for special and padding tokens. As Hugging Face's
   * `get_sequence_ids`: sequences 0..n-1 (n = known ranges, at least 1) are looked up, an unknown one covering all.
   */
  get sequenceIds(): Array<number | null> {
    const out: Array<number | null> = new Array(this.length).fill(null);
    const count = Math.max(1, this.sequenceRanges.size);
    for (let seq = 0; seq < count; seq++) {
      const [s, e] = this.sequenceRange(seq);
      for (let i = s; i < e; i++) out[i] = seq;
    }
    return out;
  }

  /** The offsets converted to Unicode code point indices of `input` (Hugging Face's `encode_char_offsets`). */
  toCodePointOffsets(input: string): Array<[number, number]> {
    const index = codePointIndex(input);
    return this.starts.map((s, i) => [index[s], index[this.ends[i]]] as [number, number]);
  }

  /** Index of the token covering a UTF-16 position of a sequence, or undefined. */
  charToToken(position: number, sequence = 0): number | undefined {
    const [s, e] = this.sequenceRange(sequence);
    for (let i = s; i < e; i++) if (position >= this.starts[i] && position < this.ends[i]) return i;
    return undefined;
  }

  /** Word index of the token covering a UTF-16 position, or undefined. */
  charToWord(position: number, sequence = 0): number | undefined {
    const token = this.charToToken(position, sequence);
    if (token === undefined) return undefined;
    const w = this.wordIndices[token];
    return w < 0 ? undefined : w;
  }

  /** [first, last + 1) tokens of a word of a sequence, or undefined. */
  wordToTokens(word: number, sequence = 0): [number, number] | undefined {
    const [s, e] = this.sequenceRange(sequence);
    let first = -1;
    let last = -1;
    for (let i = s; i < e; i++) {
      if (this.wordIndices[i] === word) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? undefined : [first, last + 1];
  }

  private sequenceRange(sequence: number): [number, number] {
    return this.sequenceRanges.get(sequence) ?? [0, this.length];
  }

  /** Columns of positions [start, stop), copied. */
  columns(start = 0, stop = this.length): EncodingColumns {
    return {
      ids: this.ids.slice(start, stop),
      typeIds: this.typeIds.slice(start, stop),
      values: this.values.slice(start, stop),
      words: this.wordIndices.slice(start, stop),
      starts: this.starts.slice(start, stop),
      ends: this.ends.slice(start, stop),
      specialTokensMask: this.specialTokensMask.slice(start, stop),
      attentionMask: this.attentionMask.slice(start, stop),
    };
  }

  clone(): Encoding {
    const copy = new Encoding(this.columns(), this.idToToken);
    copy.overflowing = this.overflowing.map((o) => o.clone());
    copy.sequenceRanges = new Map(this.sequenceRanges);
    return copy;
  }

  setTypeIds(typeId: number): void {
    this.typeIds.fill(typeId);
  }

  setSequenceId(sequence: number): void {
    this.sequenceRanges.set(sequence, [0, this.length]);
  }

  /**
   * Keeps the first (direction 'right') or last ('left') maxLength tokens; the rest becomes overflowing windows
   * that overlap by `stride` tokens. Hugging Face's `Encoding::truncate`.
   */
  truncate(maxLength: number, stride: number, direction: 'left' | 'right'): void {
    const n = this.length;
    if (maxLength >= n) return;
    if (maxLength === 0) {
      const whole = new Encoding(this.columns(), this.idToToken);
      whole.overflowing = this.overflowing;
      whole.sequenceRanges = this.sequenceRanges;
      this.replaceWith(Encoding.empty(this.idToToken));
      this.overflowing = [whole];
      return;
    }
    if (stride >= maxLength)
      throw new Error(`truncation: stride ${stride} must be smaller than max_length ${maxLength}`);
    const step = maxLength - stride;
    const parts: Array<[number, number]> = [];
    if (direction === 'right') {
      for (let start = 0; start < n; start += step) {
        const stop = Math.min(start + maxLength, n);
        parts.push([start, stop]);
        if (stop === n) break;
      }
    } else {
      for (let last = n - 1; last >= 0; last -= step) {
        const stop = last + 1;
        const start = stop < maxLength ? 0 : stop - maxLength;
        if (start < stop) parts.push([start, stop]);
        if (start === 0) break;
      }
    }
    const pieces = parts.map(([s, e]) => new Encoding(this.columns(s, e), this.idToToken));
    this.replaceWith(pieces[0]);
    this.sequenceRanges = new Map();
    this.overflowing = pieces.slice(1);
  }

  private replaceWith(other: Encoding): void {
    const assign = (target: unknown[], source: unknown[]) => {
      target.length = 0;
      for (const v of source) target.push(v);
    };
    assign(this.ids, other.ids);
    assign(this.typeIds, other.typeIds);
    assign(this.values, other.values);
    assign(this.wordIndices, other.wordIndices);
    assign(this.starts, other.starts);
    assign(this.ends, other.ends);
    assign(this.specialTokensMask, other.specialTokensMask);
    assign(this.attentionMask, other.attentionMask);
    this.tokenCache = undefined;
  }

  /** Appends another encoding (Hugging Face's `merge_with`), combining overflowing windows. */
  mergeWith(pair: Encoding, growingOffsets: boolean): void {
    const overflowings: Encoding[] = [];
    for (const own of this.overflowing) {
      const a = own.clone();
      a.mergeWith(pair.clone(), growingOffsets);
      overflowings.push(a);
      for (const other of pair.overflowing) {
        const b = own.clone();
        b.mergeWith(other.clone(), growingOffsets);
        overflowings.push(b);
      }
    }
    for (const other of pair.overflowing) {
      const c = this.clone();
      c.mergeWith(other.clone(), growingOffsets);
      overflowings.push(c);
    }
    const base = this.length;
    for (const [seq, [s, e]] of pair.sequenceRanges) this.sequenceRanges.set(seq, [base + s, base + e]);
    const shift = growingOffsets && this.length > 0 ? this.ends[this.length - 1] : 0;
    this.ids.push(...pair.ids);
    this.typeIds.push(...pair.typeIds);
    this.values.push(...pair.values);
    this.wordIndices.push(...pair.wordIndices);
    for (let i = 0; i < pair.length; i++) {
      this.starts.push(pair.starts[i] + shift);
      this.ends.push(pair.ends[i] + shift);
    }
    this.specialTokensMask.push(...pair.specialTokensMask);
    this.attentionMask.push(...pair.attentionMask);
    this.overflowing = overflowings;
    this.tokenCache = undefined;
  }

  /** Pads to targetLength (Hugging Face's `Encoding::pad`), overflowing windows included. */
  pad(targetLength: number, padId: number, padTypeId: number, padToken: string, direction: 'left' | 'right'): void {
    for (const o of this.overflowing) o.pad(targetLength, padId, padTypeId, padToken, direction);
    const n = targetLength - this.length;
    if (n <= 0) return;
    const fill = <T>(v: T) => new Array<T>(n).fill(v);
    const join = <T>(column: T[], v: T) => {
      const padding = fill(v);
      const merged = direction === 'left' ? [...padding, ...column] : [...column, ...padding];
      column.length = 0;
      for (const x of merged) column.push(x);
    };
    join(this.ids, padId);
    join(this.typeIds, padTypeId);
    join<string | undefined>(this.values, padToken);
    join(this.wordIndices, -1);
    join(this.starts, 0);
    join(this.ends, 0);
    join(this.specialTokensMask, 1);
    join(this.attentionMask, 0);
    if (direction === 'left') {
      for (const [seq, [s, e]] of this.sequenceRanges) this.sequenceRanges.set(seq, [s + n, e + n]);
    }
    this.tokenCache = undefined;
  }
}

/** Merges encodings into one (Hugging Face's `Encoding::merge`). */
export function mergeEncodings(
  encodings: Encoding[],
  growingOffsets: boolean,
  idToToken: (id: number) => string | undefined,
): Encoding {
  const out = Encoding.empty(idToToken);
  for (const e of encodings) out.mergeWith(e, growingOffsets);
  return out;
}

/** For every UTF-16 index of text (and its length), the index of the code point it belongs to. */
export function codePointIndex(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = cp;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        out[++i] = cp;
      }
    }
    cp++;
  }
  out[text.length] = cp;
  return out;
}
