/**
 * A small real tokenizer for the tests: byte-level BPE (384 ids) trained by @falcon-h1/tokenizer on the first
 * lines of the tokenizer package's corpus sample, with Falcon-style specials at the lowest ids.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Tokenizer, trainBpe } from '@falcon-h1/tokenizer';

// The tokenizer package's committed corpus sample (a clean clone has it; the shared corpus may not be there).
const CORPUS = fileURLToPath(
  new URL('../../../tokenizer/test/fixtures/corpus-sample/english-licenses.txt', import.meta.url),
);

export const SPECIALS = ['<|pad|>', '<|begin_of_text|>', '<|end_of_text|>'] as const;
export const BOS_ID = 1;
export const EOS_ID = 2;

let cached: Promise<Tokenizer> | null = null;

export function tinyTokenizer(): Promise<Tokenizer> {
  cached ??= (async () => {
    const lines = readFileSync(CORPUS, 'utf8')
      .split('\n')
      .map((l) => `${l}\n`);
    const { tokenizer } = await trainBpe(lines, { vocabSize: 384, specialTokens: [...SPECIALS] });
    return tokenizer;
  })();
  return cached;
}
