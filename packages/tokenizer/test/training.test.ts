/**
 * BPE training: on the same corpus and settings, `trainBpe` learns exactly the merges and vocabulary of Hugging
 * Face's trainer (the `tokenizers` binding trains with its defaults: 30,000 tokens, no minimum frequency, the
 * corpus's own alphabet), and the tokenizer.json it writes loads in Hugging Face's library and encodes identically.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byteLevelAlphabet } from '../src/byte-level/byte-chars.js';
import { FALCON_H1_STYLE_SPECIAL_TOKENS } from '../src/falcon-h1.js';
import { linesWithEndings, loadTokenizer, trainBpeFromFiles } from '../src/node.js';
import { PRE_TOKENIZER_PRESETS, type PreTokenizerPreset } from '../src/training/pre-tokenizer-presets.js';
import { trainBpe } from '../src/training/train-bpe.js';
import { ADVERSARIAL, corpusPath, corpusSample } from './helpers/corpus.js';
import { encodingDifference, oracleFromJson } from './helpers/oracle.js';

const CORPUS = corpusPath('english-licenses.txt');

/** Lone surrogates become U+FFFD, as every UTF-8 encoder (and our tokenizer) makes them. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

async function lines(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of linesWithEndings(file)) out.push(line);
  return out;
}

function trainWithHuggingFace(preset: PreTokenizerPreset): {
  vocab: Record<string, number>;
  merges: Array<[string, string]>;
} {
  const tokenizer = oracleFromJson({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER_PRESETS[preset],
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab: {}, merges: [] },
  });
  tokenizer.train([CORPUS]);
  const file = join(mkdtempSync(join(tmpdir(), 'hf-train-')), 'tokenizer.json');
  tokenizer.save(file);
  return JSON.parse(readFileSync(file, 'utf8')).model;
}

describe('trainBpe against Hugging Face’s trainer', () => {
  it.each(['gpt2', 'llama3', 'falcon-h1'] as PreTokenizerPreset[])(
    'learns the same merges and vocabulary (%s pre-tokenizer)',
    async (preset) => {
      const hf = trainWithHuggingFace(preset);
      const ours = await trainBpe(await lines(CORPUS), {
        vocabSize: 30000,
        preTokenizer: preset,
        initialAlphabet: 'seen',
      });
      expect(ours.merges.length).toBeGreaterThan(1000);
      expect(ours.merges).toEqual(hf.merges);
      expect(Object.fromEntries(ours.vocab.map((t, i) => [t, i]))).toEqual(hf.vocab);
    },
  );

  it('learns a prefix of the same merges at a smaller vocabulary size', async () => {
    const hf = trainWithHuggingFace('llama3');
    const ours = await trainBpe(await lines(CORPUS), {
      vocabSize: 1000,
      preTokenizer: 'llama3',
      initialAlphabet: 'seen',
    });
    expect(ours.vocab.length).toBe(1000);
    expect(ours.merges).toEqual(hf.merges.slice(0, ours.merges.length));
  });

  it('puts special tokens first without changing the merges', async () => {
    const hf = trainWithHuggingFace('llama3');
    const specials = ['<|pad|>', '>>ABSTRACT<<'];
    const ours = await trainBpe(await lines(CORPUS), {
      vocabSize: 2002,
      preTokenizer: 'llama3',
      initialAlphabet: 'seen',
      specialTokens: specials,
    });
    expect(ours.vocab.slice(0, 2)).toEqual(specials);
    expect(ours.merges).toEqual(hf.merges.slice(0, ours.merges.length));
    expect(ours.vocab.length).toBe(2002);
  });

  it('stops merging below the minimum frequency', async () => {
    const all = await trainBpe(await lines(CORPUS), { vocabSize: 30000, preTokenizer: 'llama3' });
    const frequent = await trainBpe(await lines(CORPUS), {
      vocabSize: 30000,
      preTokenizer: 'llama3',
      minFrequency: 50,
    });
    expect(frequent.merges.length).toBeLessThan(all.merges.length);
    expect(frequent.merges).toEqual(all.merges.slice(0, frequent.merges.length));
  });

  it('starts from the 256 byte characters by default, so any text encodes without unknown tokens', async () => {
    const result = await trainBpe(['hello world'], { vocabSize: 300, preTokenizer: 'llama3' });
    expect(result.vocab.slice(0, 256).sort()).toEqual(byteLevelAlphabet().sort());
    for (const text of ADVERSARIAL) {
      expect(result.tokenizer.decode(result.tokenizer.encode(text).ids)).toBe(wellFormed(text));
    }
  });
});

describe('a trained tokenizer in Hugging Face’s library', () => {
  it.each(['gpt2', 'llama3', 'qwen2', 'falcon-h1'] as PreTokenizerPreset[])(
    'loads and encodes the corpus identically (%s, Falcon-style special tokens at low ids)',
    async (preset) => {
      const out = mkdtempSync(join(tmpdir(), 'trained-'));
      const result = await trainBpeFromFiles([CORPUS, corpusPath('code-python.txt')], out, {
        vocabSize: 3000,
        preTokenizer: preset,
        specialTokens: [...FALCON_H1_STYLE_SPECIAL_TOKENS],
        bosToken: '<|begin_of_text|>',
      });
      expect(result.vocab.slice(0, FALCON_H1_STYLE_SPECIAL_TOKENS.length)).toEqual([...FALCON_H1_STYLE_SPECIAL_TOKENS]);
      const json = readFileSync(join(out, 'tokenizer.json'), 'utf8');
      const oracle = oracleFromJson(json);
      expect(oracle.getVocabSize(true)).toBe(3000);
      const ours = await loadTokenizer(out);
      const inputs = [...ADVERSARIAL, ...corpusSample(8), '>>ABSTRACT<< The model <|im_start|>user 12345<|im_end|>'];
      const expected = await oracle.encodeBatch(inputs);
      const differences = inputs
        .map((input, i) => encodingDifference(input, expected[i], ours.encode(input)))
        .filter((d) => d !== null);
      expect(differences.slice(0, 3)).toEqual([]);
      expect(ours.encode('>>ABSTRACT<<').ids).toEqual([FALCON_H1_STYLE_SPECIAL_TOKENS.indexOf('<|begin_of_text|>'), 1]);
    },
  );
});
