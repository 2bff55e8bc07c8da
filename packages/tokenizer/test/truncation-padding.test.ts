/**
 * Truncation (every strategy and direction, with stride and overflowing windows, pairs included) and padding
 * (fixed, batch-longest, left, pad_to_multiple_of) against the oracle, through the tokenizer.json sections.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/tokenizer.js';
import { corpusSample } from './helpers/corpus.js';
import { addedToken, bpeModel, type FixtureModels, fixtureModels, tokenizerJson } from './helpers/fixture-models.js';
import { codePointOffsets, encodingDifference, type OracleEncoding, oracleFromJson } from './helpers/oracle.js';

const TEMPLATE = {
  type: 'TemplateProcessing',
  single: [
    { SpecialToken: { id: '<s>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
    { SpecialToken: { id: '</s>', type_id: 0 } },
  ],
  pair: [
    { SpecialToken: { id: '<s>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
    { SpecialToken: { id: '</s>', type_id: 0 } },
    { Sequence: { id: 'B', type_id: 1 } },
    { SpecialToken: { id: '</s>', type_id: 1 } },
  ],
  special_tokens: {
    '<s>': { id: '<s>', ids: [1200], tokens: ['<s>'] },
    '</s>': { id: '</s>', ids: [1201], tokens: ['</s>'] },
  },
};

function build(m: FixtureModels, truncation: object | null, padding: object | null) {
  return tokenizerJson({
    model: bpeModel(m.byteBpe),
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    post_processor: TEMPLATE,
    added_tokens: [addedToken(1200, '<s>'), addedToken(1201, '</s>'), addedToken(1202, '<pad>')],
    truncation,
    padding,
  });
}

function overflowDifference(
  input: string,
  expected: OracleEncoding,
  got: ReturnType<Tokenizer['encode']>,
  pair?: string,
): string | null {
  const e = expected.getOverflowing();
  if (e.length !== got.overflowing.length)
    return `${e.length} overflowing windows expected, got ${got.overflowing.length}`;
  for (let k = 0; k < e.length; k++) {
    // The template gives the pair's tokens type id 1: that is how a window's tokens find their text.
    const window = got.overflowing[k];
    const d = encodingDifference(input, e[k], window, pair, (token) => window.typeIds[token]);
    if (d !== null) return `overflowing[${k}]: ${d}`;
  }
  return null;
}

const TRUNCATIONS = [
  { max_length: 12, stride: 0, strategy: 'LongestFirst', direction: 'Right' },
  { max_length: 12, stride: 3, strategy: 'LongestFirst', direction: 'Right' },
  { max_length: 10, stride: 2, strategy: 'LongestFirst', direction: 'Left' },
  { max_length: 16, stride: 0, strategy: 'OnlyFirst', direction: 'Right' },
  { max_length: 9, stride: 1, strategy: 'OnlySecond', direction: 'Left' },
];
const PADDINGS = [
  {
    strategy: { Fixed: 40 },
    direction: 'Right',
    pad_to_multiple_of: null,
    pad_id: 1202,
    pad_type_id: 0,
    pad_token: '<pad>',
  },
  {
    strategy: 'BatchLongest',
    direction: 'Left',
    pad_to_multiple_of: 8,
    pad_id: 1202,
    pad_type_id: 3,
    pad_token: '<pad>',
  },
];

describe('truncation and padding against the oracle', () => {
  let models: FixtureModels;
  const texts = corpusSample(400, 0)
    .filter((t) => t.length > 20)
    .slice(0, 12);
  const pairs: Array<[string, string]> = texts.slice(0, 6).map((t, i) => [t, texts[i + 6]]);

  beforeAll(async () => {
    models = await fixtureModels();
  });

  it.each(TRUNCATIONS.map((t) => [JSON.stringify(t), t]))('truncation %s', async (_name, truncation) => {
    const json = build(models, truncation, null);
    const ours = Tokenizer.fromJSON(json);
    const oracle = oracleFromJson(json);
    for (const [a, b] of pairs) {
      for (const [first, second] of [
        [a, undefined],
        [a, b],
      ] as Array<[string, string | undefined]>) {
        let expected: OracleEncoding | Error;
        try {
          expected = await oracle.encode(first, second ?? null);
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) {
          expect(() => ours.encode(first, { pair: second })).toThrow(/too short|needs a pair/);
          continue;
        }
        const got = ours.encode(first, { pair: second });
        expect(encodingDifference(first, expected, got, second)).toBeNull();
        expect(overflowDifference(first, expected, got, second)).toBeNull();
        expect(got.sequenceIds).toEqual(expected.getSequenceIds().map((s) => s ?? null));
      }
    }
  });

  it.each(PADDINGS.map((p) => [JSON.stringify(p), p]))('padding %s', async (_name, padding) => {
    const json = build(models, TRUNCATIONS[0], padding);
    const ours = Tokenizer.fromJSON(json);
    const oracle = oracleFromJson(json);
    const batch = texts.slice(0, 5);
    const expected = await oracle.encodeBatch(batch);
    const got = ours.encodeBatch(batch);
    batch.forEach((t, i) => {
      expect(encodingDifference(t, expected[i], got[i])).toBeNull();
      expect(overflowDifference(t, expected[i], got[i])).toBeNull();
    });
    for (const [a, b] of pairs) {
      const e = await oracle.encode(a, b);
      const g = ours.encode(a, { pair: b });
      expect(encodingDifference(a, e, g, b)).toBeNull();
      expect(g.sequenceIds).toEqual(e.getSequenceIds().map((s) => s ?? null));
      expect(codePointOffsets(g, a, b).length).toBe(g.length);
    }
  });
});
