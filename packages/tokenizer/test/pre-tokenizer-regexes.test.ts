/**
 * The regexes of pre-tokenizers: the Oniguruma-to-JavaScript translation splits exactly as the oracle's Oniguruma
 * does, and the hand-written scanners (GPT-2, Llama-3, Qwen2 patterns) cut exactly as the translated regexes, on the
 * corpus sample, the adversarial strings and random strings.
 */
import { describe, expect, it } from 'vitest';
import { TokenizerConfigError } from '../src/errors.js';
import { GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, scannerFor } from '../src/patterns/known-patterns.js';
import { onigToJs } from '../src/patterns/onig-to-js.js';
import { RegexPattern } from '../src/patterns/pattern.js';
import { ADVERSARIAL, corpusSample } from './helpers/corpus.js';
import { oracleFromJson } from './helpers/oracle.js';
import { randomString, seeded } from './helpers/random.js';

const O200K =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const OTHERS = [
  '\\w+|[^\\w\\s]+',
  '\\W+',
  '[\\W\\d]+',
  '\\p{Hiragana}+|\\p{Latin}',
  '(?i)hello|\\d{2,}',
  '[A-Z][a-z]*',
  '\\s+$|^\\s+',
  '.',
  '(?<=a)b|c(?=d)',
  '\\bthe\\b',
  '[\\p{Han}]+',
];

function random(): string[] {
  const r = seeded(99);
  return Array.from({ length: 3000 }, () => randomString(r, 40));
}

const TEXTS = [...ADVERSARIAL, ...corpusSample(10, 2, 3000), ...random()].filter((t) => t.length > 0);

function oracleSplits(pattern: string, texts: string[]): string[][] {
  const pre = oracleFromJson({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  }).getPreTokenizer()!;
  return texts.map((t) => pre.preTokenizeString(t).map(([s]) => s));
}

function jsSplits(pattern: string, texts: string[]): string[][] {
  const p = new RegexPattern(onigToJs(pattern));
  return texts.map((t) => {
    const m = p.findMatches(t);
    const out: string[] = [];
    for (let i = 0; i < m.length; i += 3) if (m[i] < m[i + 1]) out.push(t.slice(m[i], m[i + 1]));
    return out;
  });
}

describe('Oniguruma patterns translated to JavaScript', () => {
  it.each([
    ['GPT-2', GPT2_PATTERN],
    ['Llama-3', LLAMA3_PATTERN],
    ['Qwen2', QWEN2_PATTERN],
    ['o200k', O200K],
    ...OTHERS.map((p) => [p, p]),
  ])('%s splits as the oracle does', (_name, pattern) => {
    const texts = TEXTS.filter((t) => !/[\uD800-\uDFFF]/.test(t.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));
    const expected = oracleSplits(pattern, texts);
    const got = jsSplits(pattern, texts);
    const differences = texts.filter((_, i) => JSON.stringify(expected[i]) !== JSON.stringify(got[i]));
    expect(differences.slice(0, 3)).toEqual([]);
  });

  it('names the construct it cannot translate', () => {
    expect(() => onigToJs('(?>atomic)')).toThrow(TokenizerConfigError);
    expect(() => onigToJs('a*+')).toThrow(/possessive quantifier/);
    expect(() => onigToJs('[a-z&&[^aeiou]]')).toThrow(/not supported/);
    expect(() => onigToJs('\\p{NoSuchProperty}')).toThrow(/\\p\{NoSuchProperty\}/);
  });
});

describe('hand-written scanners', () => {
  it.each([
    ['GPT-2', GPT2_PATTERN],
    ['Llama-3', LLAMA3_PATTERN],
    ['Qwen2', QWEN2_PATTERN],
  ])('%s cuts exactly as its regex', (_name, pattern) => {
    const scanner = scannerFor(pattern)!;
    const regex = new RegexPattern(onigToJs(pattern));
    for (const text of TEXTS) {
      const out: number[] = [];
      scanner.scan(text, 0, text.length, out);
      const m = regex.findMatches(text);
      const expected: number[] = [];
      for (let i = 0; i < m.length; i += 3) expected.push(m[i], m[i + 1]);
      if (out.join() !== expected.join()) expect({ text, out }).toEqual({ text, out: expected });
    }
  });

  it('respects the end of the range it scans (lookahead at the boundary)', () => {
    const scanner = scannerFor(LLAMA3_PATTERN)!;
    const text = 'ab   cd';
    const out: number[] = [];
    scanner.scan(text, 0, 5, out);
    expect(out).toEqual([0, 2, 2, 5]);
  });
});
