/**
 * The oracle: Hugging Face's `tokenizers` (Rust, through N-API), and the comparison of its encodings with ours.
 * Its offsets are Unicode code point offsets; ours are UTF-16 and are converted before comparing.
 */
import { createRequire } from 'node:module';
import { codePointIndex, type Encoding } from '../../src/encoding.js';

const require = createRequire(import.meta.url);

export interface OracleEncoding {
  getIds(): number[];
  getTokens(): string[];
  getOffsets(): number[][];
  getWordIds(): Array<number | null | undefined>;
  getTypeIds(): number[];
  getSpecialTokensMask(): number[];
  getAttentionMask(): number[];
  getOverflowing(): OracleEncoding[];
  getSequenceIds(): Array<number | null | undefined>;
}

export interface OracleTokenizer {
  encode(text: string, pair?: string | null, options?: { addSpecialTokens?: boolean }): Promise<OracleEncoding>;
  encodeBatch(
    inputs: Array<string | [string, string]>,
    options?: { addSpecialTokens?: boolean },
  ): Promise<OracleEncoding[]>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  getPreTokenizer(): { preTokenizeString(text: string): Array<[string, [number, number]]> } | null;
  getNormalizer(): { normalizeString(text: string): string } | null;
  train(files: string[]): void;
  save(path: string, pretty?: boolean): void;
  getVocabSize(withAddedTokens?: boolean): number;
  tokenToId(token: string): number | null;
}

interface OracleModule {
  Tokenizer: { fromString(json: string): OracleTokenizer; fromFile(path: string): OracleTokenizer };
}

export const oracle = require('tokenizers') as OracleModule;

export function oracleFromJson(json: string | object): OracleTokenizer {
  return oracle.Tokenizer.fromString(typeof json === 'string' ? json : JSON.stringify(json));
}

/** A readable description of the first difference between two encodings, or null if they agree. */
export function encodingDifference(
  input: string,
  expected: OracleEncoding,
  got: Encoding,
  pair?: string,
  sequenceOf: (token: number) => number = (token) => got.sequenceIds[token] ?? 0,
): string | null {
  const fields: Array<[string, unknown, unknown]> = [
    ['ids', expected.getIds(), got.ids],
    ['tokens', expected.getTokens(), got.tokens],
    ['offsets', expected.getOffsets(), codePointOffsets(got, input, pair, sequenceOf)],
    ['word ids', expected.getWordIds().map((w) => w ?? null), got.wordIds],
    ['type ids', expected.getTypeIds(), got.typeIds],
    ['special tokens mask', expected.getSpecialTokensMask(), got.specialTokensMask],
    ['attention mask', expected.getAttentionMask(), got.attentionMask],
  ];
  for (const [name, e, g] of fields) {
    const es = JSON.stringify(e);
    const gs = JSON.stringify(g);
    if (es !== gs) {
      let k = 0;
      const ea = e as unknown[];
      const ga = g as unknown[];
      while (k < ea.length && JSON.stringify(ea[k]) === JSON.stringify(ga[k])) k++;
      return `${name} differ at ${k} for ${JSON.stringify(input.slice(0, 60))}: expected ${JSON.stringify(ea.slice(k, k + 4))}, got ${JSON.stringify(ga.slice(k, k + 4))}`;
    }
  }
  return null;
}

/**
 * Our offsets as code point offsets; tokens of the second sequence of a pair index the pair text. `sequenceOf` says
 * which sequence a token came from (overflowing windows of pairs lose their sequence ranges, as in Hugging Face).
 */
export function codePointOffsets(
  got: Encoding,
  input: string,
  pair?: string,
  sequenceOf: (token: number) => number = (token) => got.sequenceIds[token] ?? 0,
): number[][] {
  const first = codePointIndex(input);
  const second = pair === undefined ? first : codePointIndex(pair);
  return got.starts.map((s, i) => {
    const index = sequenceOf(i) === 1 ? second : first;
    return [index[s], index[got.ends[i]]];
  });
}
