/**
 * A source opened for training: a fixed, indexed set of documents addressed 0 … documentCount − 1 in file order,
 * each readable on demand as token ids. Text and JSONL sources tokenize when read; shard sources are already
 * tokenized. The description (files and document count) lets a restored loader check it sees the same corpus.
 */
import type { BadInput } from '../bad-input.js';

/** What the data package needs from a tokenizer (`@falcon-h1/tokenizer`'s `Tokenizer` has it). */
export interface TextTokenizer {
  encodeIds(text: string, options?: { addSpecialTokens?: boolean }): number[];
  getVocabSize(withAddedTokens?: boolean): number;
}

export interface SourceDescription {
  name: string;
  kind: string;
  files: string[];
  documents: number;
}

export interface DocumentSource {
  readonly name: string;
  readonly documentCount: number;
  /** Documents left out at indexing because they were empty (no text). */
  readonly emptyDocuments: number;
  describe(): SourceDescription;
  /** The token ids of document d (no BOS/EOS), or a bad input when it can no longer be read as indexed. */
  readTokens(d: number): Promise<Int32Array | BadInput>;
  close(): Promise<void>;
}
