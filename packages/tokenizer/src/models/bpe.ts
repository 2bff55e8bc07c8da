/**
 * Byte-pair encoding, as Hugging Face's `BPE` model: characters (or, behind a ByteLevel pre-tokenizer, byte
 * stand-ins) looked up in the vocabulary with the continuing-subword prefix and end-of-word suffix, unknown
 * characters turned into byte tokens (`byte_fallback`) or the unknown token (fused or not), then merged by rank.
 * `ignore_merges` returns a word found whole in the vocabulary as one token. Results are cached per word.
 */
import { BYTE_TO_CHAR, toByteLevel } from '../byte-level/byte-chars.js';
import { TokenizerConfigError } from '../errors.js';
import { mergeSymbols, SymbolBuffer } from './bpe-merge.js';
import type { Model, TokenSink } from './model.js';
import { reverseVocab } from './model.js';
import { PairMap } from './pair-map.js';

export interface BpeOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
  /** Must be null or 0: merge dropout makes encoding random, which no exact tokenizer can reproduce. */
  dropout?: number | null;
  /** Words kept in the result cache (0 disables it). */
  cacheCapacity?: number;
}

/** A tokenized word: ids and the [start, end) UTF-16 span of each token within the word. */
export interface WordTokens {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

const BYTE_TOKEN_NAMES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

export class BpeModel implements Model {
  readonly type = 'BPE';
  readonly merges: PairMap;
  private readonly idToTokenArray: string[];
  private readonly cache = new Map<string, WordTokens>();
  private readonly cacheCapacity: number;
  private readonly buffer = new SymbolBuffer();
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  private byteTokenIds: Int32Array | undefined;
  /** Ids of the byte-level characters: [first | middle | last | only] * 256 + byte, -1 when not in the vocabulary. */
  private byteLevelIds: Int32Array | undefined;

  constructor(
    readonly vocabMap: Map<string, number>,
    merges: ReadonlyArray<readonly [string, string]>,
    options: BpeOptions = {},
  ) {
    if (options.dropout !== undefined && options.dropout !== null && options.dropout !== 0) {
      throw new TokenizerConfigError(
        `model BPE: dropout ${options.dropout} is not supported (it makes encoding random); set it to null`,
      );
    }
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.cacheCapacity = options.cacheCapacity ?? 50_000;
    this.idToTokenArray = reverseVocab(vocabMap);
    this.merges = new PairMap(merges.length);
    const prefixLength = this.continuingSubwordPrefix?.length ?? 0;
    merges.forEach(([a, b], rank) => {
      const aId = vocabMap.get(a);
      const bId = vocabMap.get(b);
      if (aId === undefined)
        throw new TokenizerConfigError(`model BPE: merge ${rank} uses '${a}', not in the vocabulary`);
      if (bId === undefined)
        throw new TokenizerConfigError(`model BPE: merge ${rank} uses '${b}', not in the vocabulary`);
      const merged = a + b.slice(prefixLength);
      const mergedId = vocabMap.get(merged);
      if (mergedId === undefined) {
        throw new TokenizerConfigError(`model BPE: merge ${rank} makes '${merged}', not in the vocabulary`);
      }
      this.merges.set(aId, bId, rank, mergedId);
    });
  }

  tokenToId(token: string): number | undefined {
    return this.vocabMap.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTokenArray[id];
  }

  vocabSize(): number {
    return this.vocabMap.size;
  }

  vocab(): Map<string, number> {
    return new Map(this.vocabMap);
  }

  tokenize(word: string, sink: TokenSink): void {
    if (word.length === 0) return;
    const tokens = this.tokenizeWord(word);
    const { ids, starts, ends } = tokens;
    for (let k = 0; k < ids.length; k++) sink.push(ids[k], starts[k], ends[k]);
  }

  /** The tokens of one word (cached; the returned arrays must not be modified). */
  tokenizeWord(word: string): WordTokens {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const result = this.computeWord(word);
    if (this.cacheCapacity > 0 && word.length < 256) {
      if (this.cache.size >= this.cacheCapacity) this.cache.clear();
      this.cache.set(word, result);
    }
    return result;
  }

  private computeWord(word: string): WordTokens {
    if (this.ignoreMerges) {
      const id = this.vocabMap.get(word);
      if (id !== undefined)
        return { ids: Int32Array.of(id), starts: Int32Array.of(0), ends: Int32Array.of(word.length) };
    }
    // Symbols carry their length in UTF-8 bytes (starts/ends hold [0, length) until the offsets are rebuilt).
    const buf = this.buffer;
    buf.reset();
    const vocab = this.vocabMap;
    const prefix = this.continuingSubwordPrefix;
    const suffix = this.endOfWordSuffix;
    let unkId = -1;
    let unkBytes = 0;
    for (let i = 0; i < word.length; ) {
      const c = word.charCodeAt(i);
      const width = c >= 0xd800 && c < 0xdc00 && i + 1 < word.length ? 2 : 1;
      const end = i + width;
      const bytes = width === 2 ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      let s = width === 1 ? word[i] : word.slice(i, end);
      if (i > 0 && prefix !== null) s = prefix + s;
      if (end === word.length && suffix !== null) s = s + suffix;
      const id = vocab.get(s);
      if (id !== undefined) {
        if (unkId >= 0) {
          buf.push(unkId, 0, unkBytes);
          unkId = -1;
        }
        buf.push(id, 0, bytes);
      } else if (!(this.byteFallback && this.pushBytes(s))) {
        // (Byte tokens go in before a pending unknown token is flushed, as in Hugging Face.)
        if (this.unkToken !== null) {
          const id = this.unknownId();
          if (unkId >= 0 && this.fuseUnk) {
            unkBytes += bytes;
          } else {
            if (unkId >= 0) buf.push(unkId, 0, unkBytes);
            unkId = id;
            unkBytes = bytes;
          }
        }
      }
      i = end;
    }
    if (unkId >= 0) buf.push(unkId, 0, unkBytes);
    // Offsets are the running sum of symbol lengths (Hugging Face's Word::get_offsets_iter), so a dropped unknown
    // character shifts the offsets of what follows; they are in UTF-8 bytes of the word, mapped back to UTF-16.
    let position = 0;
    for (let k = 0; k < buf.length; k++) {
      const length = buf.ends[k];
      buf.starts[k] = position;
      position += length;
      buf.ends[k] = position;
    }
    mergeSymbols(buf, this.merges);
    const n = buf.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const unitStart = byteToUnitStart(word);
    for (let k = 0; k < n; k++) {
      starts[k] = unitStart(buf.starts[k], false);
      ends[k] = unitStart(buf.ends[k], true);
    }
    return { ids: buf.ids.slice(0, n), starts, ends };
  }

  /**
   * Tokenizes text[start, end) spelled as byte-level characters (what a ByteLevel pre-tokenizer hands the model),
   * straight from the UTF-16 text. On return the tokens are in `this.buffer` with [start, end) spans in UTF-8 bytes
   * of the word. Same result as `tokenizeWord(toByteLevel(...))`, without building that string when possible.
   */
  byteLevelTokens(text: string, start: number, end: number, utf8: Uint8Array, byteCount: number): SymbolBuffer {
    const buf = this.buffer;
    buf.reset();
    if (this.ignoreMerges) {
      const id = this.vocabMap.get(toByteLevel(text, start, end));
      if (id !== undefined) {
        buf.push(id, 0, byteCount);
        return buf;
      }
    }
    const table = this.byteLevelIds ?? this.buildByteLevelIds();
    for (let k = 0; k < byteCount; k++) {
      const position = byteCount === 1 ? 3 : k === 0 ? 0 : k === byteCount - 1 ? 2 : 1;
      const id = table[position * 256 + utf8[k]];
      if (id < 0) {
        // A byte-level character missing from the vocabulary: the general path knows the unknown-token rules.
        const word = this.tokenizeWord(toByteLevel(text, start, end));
        buf.reset();
        for (let t = 0; t < word.ids.length; t++) buf.push(word.ids[t], word.starts[t], word.ends[t]);
        return buf;
      }
      buf.push(id, k, k + 1);
    }
    mergeSymbols(buf, this.merges);
    return buf;
  }

  private buildByteLevelIds(): Int32Array {
    const table = new Int32Array(4 * 256);
    const prefix = this.continuingSubwordPrefix ?? '';
    const suffix = this.endOfWordSuffix ?? '';
    for (let b = 0; b < 256; b++) {
      const c = BYTE_TO_CHAR[b];
      table[b] = this.vocabMap.get(c) ?? -1;
      table[256 + b] = this.vocabMap.get(prefix + c) ?? -1;
      table[512 + b] = this.vocabMap.get(prefix + c + suffix) ?? -1;
      table[768 + b] = this.vocabMap.get(c + suffix) ?? -1;
    }
    this.byteLevelIds = table;
    return table;
  }

  private unknownId(): number {
    const id = this.vocabMap.get(this.unkToken!);
    if (id === undefined)
      throw new TokenizerConfigError(`model BPE: unk_token '${this.unkToken}' is not in the vocabulary`);
    return id;
  }

  /** Pushes one `<0xXX>` token (one byte long) per UTF-8 byte of s; false if one of them is missing. */
  private pushBytes(s: string): boolean {
    if (this.byteTokenIds === undefined) {
      this.byteTokenIds = Int32Array.from(BYTE_TOKEN_NAMES, (name) => this.vocabMap.get(name) ?? -1);
    }
    const bytes = new TextEncoder().encode(s);
    for (const b of bytes) if (this.byteTokenIds[b] < 0) return false;
    for (const b of bytes) this.buffer.push(this.byteTokenIds[b], 0, 1);
    return true;
  }
}

/**
 * Maps a UTF-8 byte offset of `word` to a UTF-16 offset, the way Hugging Face's alignments do: a start inside a
 * character moves to that character's start, an end inside one (or at its last byte) to its end.
 */
function byteToUnitStart(word: string): (byte: number, isEnd: boolean) => number {
  let ascii = true;
  for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) >= 0x80) ascii = false;
  if (ascii) return (byte) => Math.min(byte, word.length);
  const unitOfByte: number[] = [];
  const widthOfByte: number[] = [];
  for (let i = 0; i < word.length; ) {
    const c = word.charCodeAt(i);
    const width = c >= 0xd800 && c < 0xdc00 && i + 1 < word.length ? 2 : 1;
    const bytes = width === 2 ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    for (let b = 0; b < bytes; b++) {
      unitOfByte.push(i);
      widthOfByte.push(width);
    }
    i += width;
  }
  return (byte, isEnd) => {
    if (byte <= 0) return 0;
    if (!isEnd) return byte >= unitOfByte.length ? word.length : unitOfByte[byte];
    const last = Math.min(byte, unitOfByte.length) - 1;
    return unitOfByte[last] + widthOfByte[last];
  };
}
