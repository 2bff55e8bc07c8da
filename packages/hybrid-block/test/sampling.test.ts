/** Token choice (greedy, temperature, top-k, top-p, repetition penalty, forbidden tokens) and stop handling. */
import '@falcon-h1/backend-reference';
import { describe, expect, it } from 'vitest';
import {
  argMaxOf,
  chooseToken,
  generate,
  leftPadBatch,
  loadFalconH1,
  seededRandom,
  validateSamplingOptions,
} from '../src/index.js';
import { fixtureDir } from './fixtures.js';

describe('chooseToken', () => {
  const logits = [0.5, 2, 1.9, -3, 2];
  it('greedy takes the first maximum, and skips forbidden tokens', () => {
    expect(argMaxOf(logits)).toBe(1);
    expect(chooseToken(logits, [], {}, seededRandom(0))).toBe(1);
    expect(chooseToken(logits, [], {}, seededRandom(0), [1])).toBe(4);
  });

  it('applies the repetition penalty as transformers (divide positives, multiply negatives)', () => {
    expect(chooseToken(logits, [1, 4], { repetitionPenalty: 1.2 }, seededRandom(0))).toBe(2);
    expect(chooseToken([-1, -1.1], [0], { repetitionPenalty: 2 }, seededRandom(0))).toBe(1);
  });

  it('top-k 1 and a tiny top-p are greedy; sampling is reproducible for a seed and follows the distribution', () => {
    const distinct = [0.5, 2, 1.9, -3, 1.5];
    for (let seed = 0; seed < 20; seed++) {
      expect(chooseToken(distinct, [], { temperature: 1, topK: 1 }, seededRandom(seed))).toBe(1);
      expect(chooseToken(distinct, [], { temperature: 1, topP: 0.01 }, seededRandom(seed))).toBe(1);
      // Ties with the k-th score stay in (transformers' TopKLogitsWarper): tokens 1 and 4 tie.
      expect([1, 4]).toContain(chooseToken(logits, [], { temperature: 1, topK: 1 }, seededRandom(seed)));
    }
    const draw = (seed: number) => chooseToken(logits, [], { temperature: 0.7, topK: 3 }, seededRandom(seed));
    expect(draw(5)).toBe(draw(5));
    const rng = seededRandom(1);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const token = chooseToken([0, Math.log(3)], [], { temperature: 1 }, rng);
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    expect((counts.get(1) ?? 0) / 4000).toBeCloseTo(0.75, 1);
  });

  it('refuses bad options', () => {
    expect(() => validateSamplingOptions({ temperature: -1 })).toThrow(/temperature/);
    expect(() => validateSamplingOptions({ topP: 0 })).toThrow(/topP/);
    expect(() => validateSamplingOptions({ topK: 1.5 })).toThrow(/topK/);
  });
});

describe('generate', () => {
  it('stops a row at a stop token, and forbids stop tokens before minNewTokens', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-b'));
    const prompt = [[5, 6, 7]];
    const free = await generate(model, prompt, { maxNewTokens: 5 });
    const stop = free.sequences[0]![2]!;
    const stopped = await generate(model, prompt, { maxNewTokens: 5, stopTokens: [stop] });
    expect(stopped.sequences[0]).toEqual(free.sequences[0]!.slice(0, free.sequences[0]!.indexOf(stop) + 1));
    expect(stopped.finishReasons).toEqual(['stop']);
    const forced = await generate(model, prompt, { maxNewTokens: 5, stopTokens: [stop], minNewTokens: 5 });
    expect(forced.sequences[0]).toHaveLength(5);
    expect(forced.sequences[0]!.slice(0, 5).includes(stop)).toBe(false);
    expect(forced.finishReasons).toEqual(['length']);
    await expect(generate(model, [[1, 999]], { maxNewTokens: 1 })).rejects.toThrow(
      /token id 999 is outside the vocabulary/,
    );
    model.dispose();
  });

  it('left-pads prompts into a padding document and a prompt document', () => {
    const batch = leftPadBatch([[7, 8, 9], [5]], 0);
    expect(Array.from(batch.ids)).toEqual([7, 8, 9, 0, 0, 5]);
    expect(Array.from(batch.seqIdx!)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(
      leftPadBatch(
        [
          [1, 2],
          [3, 4],
        ],
        0,
      ).seqIdx,
    ).toBeUndefined();
    expect(() => leftPadBatch([[]], 0)).toThrow(/empty/);
  });
});
