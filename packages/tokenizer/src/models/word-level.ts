/** WordLevel: each pre-tokenized word is one vocabulary entry, or the unknown token. */
import { TokenizerConfigError } from '../errors.js';
import type { Model, TokenSink } from './model.js';
import { reverseVocab } from './model.js';

export class WordLevelModel implements Model {
  readonly type = 'WordLevel';
  private readonly idToTokenArray: string[];

  constructor(
    readonly vocabMap: Map<string, number>,
    readonly unkToken: string,
  ) {
    this.idToTokenArray = reverseVocab(vocabMap);
  }

  tokenize(word: string, sink: TokenSink): void {
    const id = this.vocabMap.get(word);
    if (id !== undefined) {
      sink.push(id, 0, word.length);
      return;
    }
    const unk = this.vocabMap.get(this.unkToken);
    if (unk === undefined)
      throw new TokenizerConfigError(`model WordLevel: unk_token '${this.unkToken}' is not in the vocabulary`);
    sink.push(unk, 0, word.length, this.unkToken);
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
