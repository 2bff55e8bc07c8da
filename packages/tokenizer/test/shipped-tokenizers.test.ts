/**
 * Exactness on real tokenizer files (Qwen3, Llama 3; then Llama 2, GPT-4o, DeepSeek-V3, Gemma 3): ids, tokens,
 * offsets, word ids and masks identical to Hugging Face's library over a sample of the corpus and the adversarial
 * strings, decoding identical too, and decode(encode(x)) giving x back (Qwen3: NFC(x), its normalizer) on
 * byte-level models.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/tokenizer.js';
import { ADVERSARIAL, corpusSample } from './helpers/corpus.js';
import { encodingDifference, type OracleTokenizer, oracleFromJson } from './helpers/oracle.js';
import { type ShippedName, shippedJson } from './helpers/shipped.js';

const INPUTS = [...ADVERSARIAL, ...corpusSample(2)];
const OTHER_INPUTS = [...ADVERSARIAL, ...corpusSample(8)];

describe.each(['qwen3', 'llama3'] as ShippedName[])('%s tokenizer.json', (name) => {
  let ours: Tokenizer;
  let oracle: OracleTokenizer;

  beforeAll(() => {
    const json = shippedJson(name);
    ours = Tokenizer.fromJSON(json);
    oracle = oracleFromJson(json);
  });

  it(`encodes ${INPUTS.length} corpus lines and adversarial strings exactly as Hugging Face`, async () => {
    const expected = await oracle.encodeBatch(INPUTS);
    const differences: string[] = [];
    INPUTS.forEach((input, i) => {
      const difference = encodingDifference(input, expected[i], ours.encode(input));
      if (difference !== null) differences.push(difference);
    });
    expect(differences.slice(0, 5)).toEqual([]);
  });

  it('encodes without special tokens and in batches identically', async () => {
    const inputs = INPUTS.slice(0, 300);
    const expected = await oracle.encodeBatch(inputs, { addSpecialTokens: false });
    const got = ours.encodeBatch(inputs, { addSpecialTokens: false });
    const differences = inputs
      .map((input, i) => encodingDifference(input, expected[i], got[i]))
      .filter((d) => d !== null);
    expect(differences.slice(0, 5)).toEqual([]);
  });

  it('decodes exactly as Hugging Face, with and without special tokens', async () => {
    for (const input of INPUTS.slice(0, 400)) {
      const ids = ours.encode(input).ids;
      expect(ours.decode(ids)).toBe(await oracle.decode(ids, false));
      expect(ours.decode(ids, { skipSpecialTokens: true })).toBe(await oracle.decode(ids, true));
    }
  });

  it('round-trips: decode(encode(x)) is x (after the normalizer)', () => {
    for (const input of INPUTS) {
      const wellFormed = input.replace(
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        '\uFFFD',
      );
      const expected = name === 'qwen3' ? wellFormed.normalize('NFC') : wellFormed;
      expect(ours.decode(ours.encode(input, { addSpecialTokens: false }).ids)).toBe(expected);
    }
  });
});

describe.each(['llama2', 'gpt4o', 'deepseekV3', 'gemma3'] as ShippedName[])('%s tokenizer.json', (name) => {
  it('encodes the corpus sample and adversarial strings exactly as Hugging Face, and decodes the same', async () => {
    const json = shippedJson(name);
    const ours = Tokenizer.fromJSON(json);
    const oracle = oracleFromJson(json);
    const expected = await oracle.encodeBatch(OTHER_INPUTS);
    const differences: string[] = [];
    for (let i = 0; i < OTHER_INPUTS.length; i++) {
      const got = ours.encode(OTHER_INPUTS[i]);
      const difference = encodingDifference(OTHER_INPUTS[i], expected[i], got);
      if (difference !== null) differences.push(difference);
      if (i % 4 === 0 && ours.decode(got.ids) !== (await oracle.decode(expected[i].getIds(), false))) {
        differences.push(`decode of ${JSON.stringify(OTHER_INPUTS[i].slice(0, 40))} differs`);
      }
    }
    expect(differences.slice(0, 5)).toEqual([]);
  });
});
