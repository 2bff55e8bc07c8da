/**
 * WordPiece (BERT): greedy longest-match-first from the left, continuation pieces prefixed (`##`); a word with any
 * unmatchable part, or longer than max_input_chars_per_word characters, becomes the unknown token.
 */
import { TokenizerConfigError } from '../errors.js';
import type { Model, TokenSink } from './model.js';
import { reverseVocab } from './model.js';

export class WordPieceModel implements Model {
  readonly type = 'WordPiece';
  private readonly idToTokenArray: string[];

  constructor(
    readonly vocabMap: Map<string, number>,
    readonly unkToken: string,
    readonly continuingSubwordPrefix: string,
    readonly maxInputCharsPerWord: number,
  ) {
    this.idToTokenArray = reverseVocab(vocabMap);
  }

  tokenize(word: string, sink: TokenSink): void {
    let chars = 0;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) chars++;
    }
    if (chars > this.maxInputCharsPerWord) {
      sink.push(this.unkId(), 0, word.length, this.unkToken);
      return;
    }
    const ids: number[] = [];
    const bounds: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found = -1;
      while (start < end) {
        const piece = start > 0 ? this.continuingSubwordPrefix + word.slice(start, end) : word.slice(start, end);
        const id = this.vocabMap.get(piece);
        if (id !== undefined) {
          found = id;
          break;
        }
        const last = word.charCodeAt(end - 1);
        end -= last >= 0xdc00 && last <= 0xdfff && end - 2 >= start ? 2 : 1;
      }
      if (found < 0) {
        sink.push(this.unkId(), 0, word.length, this.unkToken);
        return;
      }
      ids.push(found);
      bounds.push(start, end);
      start = end;
    }
    for (let k = 0; k < ids.length; k++) sink.push(ids[k], bounds[2 * k], bounds[2 * k + 1]);
  }

  private unkId(): number {
    const id = this.vocabMap.get(this.unkToken);
    if (id === undefined)
      throw new TokenizerConfigError(`model WordPiece: unk_token '${this.unkToken}' is not in the vocabulary`);
    return id;
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
}
