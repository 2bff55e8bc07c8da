/**
 * The embedded default run's data: the corpus split into a training file and a held-out file, and a byte-level BPE
 * tokenizer trained on the training file. `scripts/make-default-assets.mjs` writes them to assets/ from the source
 * text (see assets/PROVENANCE.md); both steps are deterministic, and test/default-assets.test.ts checks that the
 * committed files are what they produce.
 */
import { type TrainBpeOptions, trainBpe } from '@falcon-h1/tokenizer';

/** pad, BOS and EOS at ids 0, 1, 2 (the default model config names the same ids). */
export const DEFAULT_SPECIAL_TOKENS = ['<|pad|>', '<|begin_of_text|>', '<|end_of_text|>'] as const;

export const DEFAULT_TOKENIZER_OPTIONS: TrainBpeOptions = {
  vocabSize: 2048,
  specialTokens: DEFAULT_SPECIAL_TOKENS,
  preTokenizer: 'falcon-h1',
};

/** Every HELD_OUT_EVERY-th distinct paragraph (blank-line separated) goes to the held-out file. */
export const HELD_OUT_EVERY = 20;

/**
 * Splits a text into training and held-out paragraphs. Licence texts repeat whole paragraphs (the GPL family shares
 * many), so paragraphs are first taken as distinct texts: every HELD_OUT_EVERY-th distinct paragraph is held out
 * with all its copies, and none of the held-out paragraphs occurs in the training text.
 */
export function splitCorpus(text: string): { train: string; heldOut: string } {
  const paragraphs = text
    .split(/\n(?:[ \t]*\n)+/)
    .map((p) => p.replace(/^\n+|\s+$/g, ''))
    .filter((p) => p.trim() !== '');
  const distinct = [...new Set(paragraphs)];
  const held = new Set(distinct.filter((_, i) => (i + 1) % HELD_OUT_EVERY === 0));
  const train = paragraphs.filter((p) => !held.has(p));
  return { train: `${train.join('\n\n')}\n`, heldOut: `${[...held].join('\n\n')}\n` };
}

/** The tokenizer.json text of the default run, trained on the training text line by line. */
export async function trainDefaultTokenizer(trainText: string): Promise<string> {
  const lines = trainText.split(/(?<=\n)/);
  const { json } = await trainBpe(lines, DEFAULT_TOKENIZER_OPTIONS);
  return `${JSON.stringify(json, null, 2)}\n`;
}
