/**
 * Unicode normalization with alignments: the normalized text and the original range of every normalized character
 * agree with the oracle on random sequences of base letters, combining marks, Hangul jamo, compatibility characters
 * and characters newer than the oracle's Unicode tables.
 */
import { describe, expect, it } from 'vitest';
import { NormalizedString } from '../src/text/normalized-string.js';
import { Tokenizer } from '../src/tokenizer.js';
import { encodingDifference, oracleFromJson } from './helpers/oracle.js';
import { seeded } from './helpers/random.js';

const PARTS = [
  'a',
  'e',
  'o',
  'A',
  'Z',
  'q',
  'd',
  'ı',
  'ſ',
  ' ',
  '\u0300',
  '\u0301',
  '\u0302',
  '\u0308',
  '\u0316',
  '\u0323',
  '\u0327',
  '\u0334',
  '\u0345',
  '\u05b0',
  '\u093c',
  '\u3099',
  '\u00e9',
  '\u1e0b',
  '\u1e69',
  '\u01c4',
  '\u0958',
  '\u212b',
  '\u2126',
  '\ufb01',
  '\ufb03',
  '\u2460',
  '\u00bd',
  '\u3392',
  '\u1100',
  '\u1161',
  '\u11a8',
  '\uac00',
  '\uac01',
  '\u0b47',
  '\u0b3e',
  '\u0dd9',
  '\u0dcf',
  '\u1b05',
  '\u1b35',
  '\u{105d2}',
  '\u{105c9}',
  '\u{11935}',
  '\u{11930}',
  '\u{11938}',
  '\u{1611e}',
  '\u{16121}',
  '\u32ff',
  '\ua7f2',
  '\u{1d15e}',
  '\u{1d165}',
  '😀',
  '\u200d',
  '\u0f73',
  '\u0f77',
  '\u1e9b',
  '\u0385',
];

function randomMarks(random: () => number): string {
  let s = '';
  const n = 1 + Math.floor(random() * 8);
  for (let i = 0; i < n; i++) s += PARTS[Math.floor(random() * PARTS.length)];
  return s;
}

describe.each(['NFC', 'NFD', 'NFKC', 'NFKD'])('%s with alignments', (form) => {
  it('matches the oracle character by character on 3000 random sequences', async () => {
    const json = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: { type: form },
      pre_tokenizer: { type: 'Split', pattern: { Regex: '.' }, behavior: 'Isolated', invert: false },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
    };
    const ours = Tokenizer.fromJSON(json);
    const oracle = oracleFromJson(json);
    const random = seeded(form.length * 7919);
    const inputs = Array.from({ length: 3000 }, () => randomMarks(random));
    const expected = await oracle.encodeBatch(inputs);
    const differences: string[] = [];
    inputs.forEach((input, i) => {
      const d = encodingDifference(input, expected[i], ours.encode(input));
      if (d !== null) differences.push(`${d} (${[...input].map((c) => c.codePointAt(0)!.toString(16)).join(' ')})`);
    });
    expect(differences.slice(0, 5)).toEqual([]);
    const normalizer = oracle.getNormalizer()!;
    for (const input of inputs.slice(0, 500)) {
      const ns = new NormalizedString(input);
      ours.normalizer!.normalize(ns);
      expect(ns.normalized).toBe(normalizer.normalizeString(input));
    }
  });
});
