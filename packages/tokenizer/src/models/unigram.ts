/**
 * Unigram (SentencePiece): the segmentation with the best total log-probability (Viterbi over the pieces a trie
 * finds at each position), unknown characters scored min_score - 10 and fused into one piece, byte fallback
 * optional. Follows Hugging Face's `encode_optimized`, ties included (the earliest start wins).
 */
import { TokenizerConfigError } from '../errors.js';
import type { Model, TokenSink } from './model.js';

const UNK_PENALTY = 10;

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Vocabulary id of the piece ending here, or -1. */
  id: number;
}

export class UnigramModel implements Model {
  readonly type = 'Unigram';
  private readonly tokenToIds = new Map<string, number>();
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  private readonly minScore: number;
  private readonly cache = new Map<string, string[]>();
  private byteIds: Int32Array | undefined;

  constructor(
    readonly pieces: ReadonlyArray<readonly [string, number]>,
    readonly unkId: number | null,
    readonly byteFallback: boolean,
  ) {
    if (unkId !== null) {
      if (pieces.length === 0)
        throw new TokenizerConfigError('model Unigram: the vocabulary is empty but unk_id is set');
      if (unkId >= pieces.length)
        throw new TokenizerConfigError(`model Unigram: unk_id ${unkId} is past the vocabulary`);
    }
    let minScore = Number.POSITIVE_INFINITY;
    pieces.forEach(([piece, score], id) => {
      this.tokenToIds.set(piece, id);
      let node = this.root;
      for (let i = 0; i < piece.length; i++) {
        const unit = piece.charCodeAt(i);
        let next = node.children.get(unit);
        if (next === undefined) {
          next = { children: new Map(), id: -1 };
          node.children.set(unit, next);
        }
        node = next;
      }
      node.id = id;
      if (score < minScore) minScore = score;
    });
    this.minScore = minScore;
  }

  /** The best segmentation as strings (unknown runs fused). */
  encode(sentence: string): string[] {
    if (sentence === '') return [];
    const cached = this.cache.get(sentence);
    if (cached !== undefined) return cached;
    const size = sentence.length;
    const bestScore = new Float64Array(size + 1);
    const bestStart = new Int32Array(size + 1).fill(-1);
    const bestId = new Int32Array(size + 1);
    const unkScore = this.minScore - UNK_PENALTY;
    for (let start = 0; start < size; ) {
      const scoreHere = bestScore[start];
      const c = sentence.charCodeAt(start);
      const charLength = c >= 0xd800 && c < 0xdc00 && start + 1 < size ? 2 : 1;
      let hasSingle = false;
      let node = this.root;
      for (let j = start; j < size; j++) {
        const next = node.children.get(sentence.charCodeAt(j));
        if (next === undefined) break;
        node = next;
        if (node.id >= 0) {
          // node.id is the last id of this piece, as Hugging Face's token-to-id map keeps for duplicates.
          const end = j + 1;
          const candidate = this.pieces[node.id][1] + scoreHere;
          if (bestStart[end] < 0 || candidate > bestScore[end]) {
            bestScore[end] = candidate;
            bestStart[end] = start;
            bestId[end] = node.id;
          }
          if (end - start === charLength) hasSingle = true;
        }
      }
      if (!hasSingle) {
        const end = start + charLength;
        const candidate = unkScore + scoreHere;
        if (bestStart[end] < 0 || candidate > bestScore[end]) {
          if (this.unkId === null)
            throw new TokenizerConfigError('model Unigram: an unknown character needs unk_id, which is not set');
          bestScore[end] = candidate;
          bestStart[end] = start;
          bestId[end] = this.unkId;
        }
      }
      start += charLength;
    }
    const results: string[] = [];
    let unkRun: string[] = [];
    for (let end = size; end > 0; ) {
      const start = bestStart[end];
      const piece = sentence.slice(start, end);
      if (this.unkId !== null && bestId[end] === this.unkId) {
        unkRun.push(piece);
      } else {
        if (unkRun.length > 0) {
          results.push(unkRun.reverse().join(''));
          unkRun = [];
        }
        results.push(piece);
      }
      end = start;
    }
    if (unkRun.length > 0) results.push(unkRun.reverse().join(''));
    results.reverse();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(sentence, results);
    return results;
  }

  tokenize(word: string, sink: TokenSink): void {
    let offset = 0;
    for (const piece of this.encode(word)) {
      const end = offset + piece.length;
      const id = this.tokenToIds.get(piece);
      if (id !== undefined) {
        sink.push(id, offset, end, piece);
      } else if (!(this.byteFallback && this.pushBytes(piece, offset, end, sink))) {
        if (this.unkId === null)
          throw new TokenizerConfigError('model Unigram: an unknown piece needs unk_id, which is not set');
        sink.push(this.unkId, offset, end, piece);
      }
      offset = end;
    }
  }

  private pushBytes(piece: string, start: number, end: number, sink: TokenSink): boolean {
    if (this.byteIds === undefined) {
      this.byteIds = Int32Array.from({ length: 256 }, (_, b) => {
        return this.tokenToIds.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
      });
    }
    const bytes = new TextEncoder().encode(piece);
    for (const b of bytes) if (this.byteIds[b] < 0) return false;
    for (const b of bytes) {
      sink.push(this.byteIds[b], start, end, `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    }
    return true;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenToIds.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id]?.[0];
  }

  vocabSize(): number {
    return this.pieces.length;
  }

  vocab(): Map<string, number> {
    return new Map(this.tokenToIds);
  }
}
