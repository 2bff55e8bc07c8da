/** The contract every tokenization model (BPE, WordPiece, Unigram, WordLevel) fulfils. */

/** Receives the tokens a model produces for one word. */
export interface TokenSink {
  /**
   * Adds a token. start/end are UTF-16 offsets in the word given to `tokenize`, always on character boundaries.
   * `value` is the token's text when it differs from the vocabulary entry of `id` (e.g. Unigram's unknown pieces).
   */
  push(id: number, start: number, end: number, value?: string): void;
}

export interface Model {
  /** The `type` of the model in tokenizer.json. */
  readonly type: string;
  /** Splits one pre-tokenized word into tokens. */
  tokenize(word: string, sink: TokenSink): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the vocabulary. */
  vocabSize(): number;
  /** The vocabulary (token to id); a fresh map the caller may keep. */
  vocab(): Map<string, number>;
}

/** A TokenSink that collects tokens into arrays (tests and the general pipeline). */
export class TokenArrays implements TokenSink {
  ids: number[] = [];
  starts: number[] = [];
  ends: number[] = [];
  values: Array<string | undefined> = [];

  push(id: number, start: number, end: number, value?: string): void {
    this.ids.push(id);
    this.starts.push(start);
    this.ends.push(end);
    this.values.push(value);
  }
}

/** Builds the id-to-token array of a vocabulary. */
export function reverseVocab(vocab: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [token, id] of vocab) out[id] = token;
  return out;
}
