import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_PATH,
  HELD_OUT_EVERY,
  loadTrainConfig,
  splitCorpus,
  trainDefaultTokenizer,
} from '../src/index.js';
import { ASSETS } from './tiny-run.js';

const train = readFileSync(join(ASSETS, 'corpus', 'train.txt'), 'utf8');
const heldOut = readFileSync(join(ASSETS, 'corpus', 'held-out.txt'), 'utf8');

describe('the embedded default run', () => {
  it('its tokenizer.json is what trainBpe makes from the training text (scripts/make-default-assets.mjs)', async () => {
    // Compared as JSON: the committed file is laid out by the repository's formatter.
    expect(JSON.parse(await trainDefaultTokenizer(train))).toEqual(
      JSON.parse(readFileSync(join(ASSETS, 'tokenizer.json'), 'utf8')),
    );
  }, 60_000);

  it('the held-out paragraphs are not in the training text', () => {
    const paragraphs = (text: string) => text.split('\n\n');
    const trained = new Set(paragraphs(train));
    const held = paragraphs(heldOut);
    expect(held.length).toBeGreaterThan(25);
    expect(trained.size).toBeGreaterThanOrEqual(held.length * (HELD_OUT_EVERY - 1));
    expect(held.filter((p) => trained.has(p))).toEqual([]);
  });

  it('splitCorpus holds out every 20th distinct paragraph with all its copies', () => {
    const distinct = Array.from({ length: 40 }, (_, i) => `paragraph ${i}\n  second line`);
    const text = [...distinct, distinct[19], distinct[3]].join('\n\n  \n');
    const { train: t, heldOut: h } = splitCorpus(text);
    expect(h).toBe(`${distinct[19]}\n\n${distinct[39]}\n`);
    expect(t.split('\n\n')).toHaveLength(39);
    expect(t).not.toContain('paragraph 19\n');
  });

  it('the default config names the embedded files, and the model has room for every token id', () => {
    const { config } = loadTrainConfig(DEFAULT_CONFIG_PATH);
    const tokenizer = Tokenizer.fromJSON(readFileSync(config.tokenizer, 'utf8'));
    expect(config.tokenizer).toBe(join(ASSETS, 'tokenizer.json'));
    expect(config.data.sources[0]!.paths).toEqual([join(ASSETS, 'corpus', 'train.txt')]);
    expect(config.eval!.sources[0]!.paths).toEqual([join(ASSETS, 'corpus', 'held-out.txt')]);
    expect(tokenizer.getVocabSize(true)).toBeLessThanOrEqual(
      (config.model.overrides as { vocab_size: number }).vocab_size,
    );
    expect(tokenizer.decode(tokenizer.encodeIds('This License applies to any program'))).toBe(
      'This License applies to any program',
    );
  });
});
