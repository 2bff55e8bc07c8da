/**
 * The fast encoding path: for pipelines whose steps only cut the text (no normalizer, or one that leaves this input
 * unchanged; splitting pre-tokenizers, optionally ending with a ByteLevel that does not add a prefix space), the
 * alignment is the identity and every piece is a range of the input. Pieces are then tokenized straight from the
 * input string through a word cache looked up in place, and no NormalizedString, PreTokenizedString or per-token
 * object is built.
 *
 * It gives the same result as the general path by construction (same splitters, same model); the tests compare
 * both with the oracle. `encode` returns null when the input needs the general path (a normalizer that would
 * change it).
 */
import type { AddedVocabulary } from './added-vocabulary.js';
import { BYTE_TO_CHAR } from './byte-level/byte-chars.js';
import type { EncodingColumns } from './encoding.js';
import { BpeModel } from './models/bpe.js';
import { type Model, TokenArrays } from './models/model.js';
import type { Normalizer } from './normalizers/normalizer.js';
import { ByteLevelPreTokenizer } from './pre-tokenizers/byte-level.js';
import { isSplitting, type PreTokenizer, type SplittingPreTokenizer } from './pre-tokenizers/pre-tokenizer.js';
import { cutInSequence, SequencePreTokenizer } from './pre-tokenizers/sequence.js';
import { NormalizedString } from './text/normalized-string.js';
import { WordCache } from './word-cache.js';

/** A word's tokens: ids, and ends (plus starts when they do not tile the word) in UTF-16 units of the word. */
interface CachedWord {
  ids: Int32Array;
  ends: Int32Array;
  /** Null when token k starts where k-1 ends (it does not when byte tokens share a character, or one was dropped). */
  starts: Int32Array | null;
}

/** Columns being filled for one sequence; type ids and masks are constant and filled at the end. */
interface Columns {
  ids: number[];
  starts: number[];
  ends: number[];
  words: number[];
  /** Token texts for added tokens (index -> text); model tokens take theirs from the vocabulary. */
  values: Map<number, string> | null;
}

export class FastPath {
  private readonly cache: WordCache<CachedWord>;
  private readonly pieces: number[] = [];
  private readonly sink = new TokenArrays();
  private utf8 = new Uint8Array(256);
  private unitOfByte = new Int32Array(256);

  private constructor(
    private readonly splitters: SplittingPreTokenizer[],
    private readonly byteLevel: boolean,
    private readonly model: Model,
    private readonly normalizer: Normalizer | null,
    private readonly added: AddedVocabulary,
    cacheCapacity = 200_000,
  ) {
    this.cache = new WordCache(cacheCapacity);
  }

  /** A fast path for this pipeline, or undefined if it has a step that rewrites the text. */
  static create(
    normalizer: Normalizer | null,
    preTokenizer: PreTokenizer | null,
    model: Model,
    added: AddedVocabulary,
  ): FastPath | undefined {
    const steps: PreTokenizer[] =
      preTokenizer === null
        ? []
        : preTokenizer instanceof SequencePreTokenizer
          ? [...preTokenizer.members]
          : [preTokenizer];
    const splitters: SplittingPreTokenizer[] = [];
    let byteLevel = false;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k];
      if (step instanceof ByteLevelPreTokenizer && !step.addPrefixSpace && k === steps.length - 1) {
        const scanner = step.scanner;
        if (scanner !== undefined) {
          splitters.push({
            type: 'ByteLevel',
            splitRange: (text, start, end, out) => scanner.scan(text, start, end, out),
            preTokenize: () => {},
          });
        }
        byteLevel = true;
      } else if (isSplitting(step)) {
        splitters.push(step);
      } else {
        return undefined;
      }
    }
    return new FastPath(splitters, byteLevel, model, normalizer, added);
  }

  /** Encodes one sequence (before post-processing), or returns null if the general path must do it. */
  encode(text: string, typeId: number): EncodingColumns | null {
    const columns: Columns = { ids: [], starts: [], ends: [], words: [], values: null };
    let word = 0;
    const added = this.added;
    if (added.hasRawTokens) {
      const splits = added.findSplits(text, false);
      for (let k = 0; k < splits.length; k += 3) {
        if (splits[k + 2] >= 0) {
          this.pushAdded(columns, text, splits[k], splits[k + 1], splits[k + 2], word++);
        } else {
          word = this.encodeText(columns, text, splits[k], splits[k + 1], word);
          if (word < 0) return null;
        }
      }
    } else {
      word = this.encodeText(columns, text, 0, text.length, word);
      if (word < 0) return null;
    }
    const n = columns.ids.length;
    const values: Array<string | undefined> = new Array(n);
    if (columns.values !== null) for (const [i, v] of columns.values) values[i] = v;
    return {
      ids: columns.ids,
      typeIds: new Array(n).fill(typeId),
      values,
      words: columns.words,
      starts: columns.starts,
      ends: columns.ends,
      specialTokensMask: new Array(n).fill(0),
      attentionMask: new Array(n).fill(1),
    };
  }

  /**
   * Normalizes text[start, end), cuts out normalized added tokens, cuts and tokenizes the rest. When the normalizer
   * changes the text, the pieces are ranges of the normalized text and offsets go back through its alignment.
   */
  private encodeText(columns: Columns, text: string, start: number, end: number, word: number): number {
    if (start === end) return word;
    let source = text;
    let from = start;
    let to = end;
    let ns: NormalizedString | null = null;
    if (this.normalizer !== null && !this.normalizer.leavesUnchanged(text.slice(start, end))) {
      ns = new NormalizedString(text.slice(start, end), start);
      this.normalizer.normalize(ns);
      source = ns.normalized;
      from = 0;
      to = source.length;
    }
    const firstToken = columns.ids.length;
    if (!this.added.hasNormalizedTokens) {
      word = this.pushPieces(columns, source, from, to, word);
    } else {
      const splits = this.added.findSplits(source.slice(from, to), true);
      for (let k = 0; k < splits.length; k += 3) {
        const s = from + splits[k];
        const e = from + splits[k + 1];
        if (splits[k + 2] >= 0) this.pushAdded(columns, source, s, e, splits[k + 2], word++);
        else word = this.pushPieces(columns, source, s, e, word);
      }
    }
    if (ns !== null) {
      // Offsets so far are in the normalized text: map them to the input (Hugging Face's convert_offsets).
      const { starts, ends } = columns;
      for (let i = firstToken; i < starts.length; i++) {
        const range = ns.convertToOriginal(starts[i], ends[i]);
        if (range !== null) {
          starts[i] = ns.originalShift + range[0];
          ends[i] = ns.originalShift + range[1];
        }
      }
    }
    return word;
  }

  private pushAdded(columns: Columns, text: string, start: number, end: number, id: number, word: number): void {
    columns.values ??= new Map();
    columns.values.set(columns.ids.length, text.slice(start, end));
    columns.ids.push(id);
    columns.words.push(word);
    columns.starts.push(start);
    columns.ends.push(end);
  }

  /** Cuts text[start, end) and tokenizes the pieces; returns the next word index. */
  private pushPieces(columns: Columns, text: string, start: number, end: number, word: number): number {
    const pieces = this.pieces;
    pieces.length = 0;
    cutInSequence(this.splitters, text, start, end, pieces);
    const { ids, words, starts, ends } = columns;
    const cache = this.cache;
    for (let p = 0; p < pieces.length; p += 2) {
      const s = pieces[p];
      const e = pieces[p + 1];
      const hash = WordCache.hash(text, s, e);
      let cached = cache.get(text, s, e, hash);
      if (cached === undefined) {
        cached = this.tokenizeWord(text, s, e);
        cache.set(text.slice(s, e), hash, cached);
      }
      const cids = cached.ids;
      const cends = cached.ends;
      const cstarts = cached.starts;
      let previous = s;
      for (let k = 0; k < cids.length; k++) {
        ids.push(cids[k]);
        words.push(word);
        starts.push(cstarts === null ? previous : s + cstarts[k]);
        previous = s + cends[k];
        ends.push(previous);
      }
      word++;
    }
    return word;
  }

  private tokenizeWord(text: string, start: number, end: number): CachedWord {
    if (!this.byteLevel) {
      const sink = this.sink;
      sink.ids.length = sink.starts.length = sink.ends.length = sink.values.length = 0;
      this.model.tokenize(text.slice(start, end), sink);
      return packWord(sink.ids, sink.starts, sink.ends, sink.ids.length);
    }
    const byteCount = this.encodeUtf8(text, start, end);
    const unitOfByte = this.unitOfByte;
    const width = end - start;
    let ids: ArrayLike<number>;
    let byteStarts: ArrayLike<number>;
    let byteEnds: ArrayLike<number>;
    let n: number;
    if (this.model instanceof BpeModel) {
      const buf = this.model.byteLevelTokens(text, start, end, this.utf8, byteCount);
      ids = buf.ids;
      byteStarts = buf.starts;
      byteEnds = buf.ends;
      n = buf.length;
    } else {
      let spelled = '';
      for (let k = 0; k < byteCount; k++) spelled += BYTE_TO_CHAR[this.utf8[k]];
      const sink = this.sink;
      sink.ids.length = sink.starts.length = sink.ends.length = sink.values.length = 0;
      this.model.tokenize(spelled, sink);
      ids = sink.ids;
      byteStarts = sink.starts;
      byteEnds = sink.ends;
      n = sink.ids.length;
    }
    if (byteCount === width) return packWord(ids, byteStarts, byteEnds, n);
    // Byte offsets back to UTF-16 units: a token starting or ending inside a character covers all of it.
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      starts[k] = byteStarts[k] >= byteCount ? width : unitOfByte[byteStarts[k]];
      if (byteEnds[k] === 0) {
        ends[k] = 0;
      } else {
        const unit = unitOfByte[byteEnds[k] - 1];
        const c = text.charCodeAt(start + unit);
        ends[k] = unit + (c >= 0xd800 && c < 0xdc00 && unit + 1 < width ? 2 : 1);
      }
    }
    return packWord(ids, starts, ends, n);
  }

  /** UTF-8 of text[start, end) into this.utf8 (lone surrogates as U+FFFD), with the source unit of each byte. */
  private encodeUtf8(text: string, start: number, end: number): number {
    if (this.utf8.length < (end - start) * 3) {
      this.utf8 = new Uint8Array((end - start) * 3 + 16);
      this.unitOfByte = new Int32Array((end - start) * 3 + 16);
    }
    const out = this.utf8;
    const unitOf = this.unitOfByte;
    let n = 0;
    for (let i = start; i < end; i++) {
      let cp = text.charCodeAt(i);
      const unit = i - start;
      if (cp < 0x80) {
        unitOf[n] = unit;
        out[n++] = cp;
        continue;
      }
      if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < end) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
      if (cp < 0x800) {
        unitOf[n] = unit;
        out[n++] = 0xc0 | (cp >> 6);
        unitOf[n] = unit;
        out[n++] = 0x80 | (cp & 63);
      } else if (cp < 0x10000) {
        unitOf[n] = unit;
        out[n++] = 0xe0 | (cp >> 12);
        unitOf[n] = unit;
        out[n++] = 0x80 | ((cp >> 6) & 63);
        unitOf[n] = unit;
        out[n++] = 0x80 | (cp & 63);
      } else {
        unitOf[n] = unit;
        out[n++] = 0xf0 | (cp >> 18);
        unitOf[n] = unit;
        out[n++] = 0x80 | ((cp >> 12) & 63);
        unitOf[n] = unit;
        out[n++] = 0x80 | ((cp >> 6) & 63);
        unitOf[n] = unit;
        out[n++] = 0x80 | (cp & 63);
      }
    }
    return n;
  }
}

/** Packs n tokens (spans already in the word's UTF-16 units) into a CachedWord. */
function packWord(ids: ArrayLike<number>, starts: ArrayLike<number>, ends: ArrayLike<number>, n: number): CachedWord {
  const word: CachedWord = { ids: new Int32Array(n), ends: new Int32Array(n), starts: null };
  let previous = 0;
  let tiles = true;
  for (let k = 0; k < n; k++) {
    word.ids[k] = ids[k];
    word.ends[k] = ends[k];
    if (starts[k] !== previous) tiles = false;
    previous = ends[k];
  }
  if (!tiles) word.starts = Int32Array.from({ length: n }, (_, k) => starts[k]);
  return word;
}
