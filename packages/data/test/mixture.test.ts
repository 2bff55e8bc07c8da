/**
 * The mixture: the schedule's weights (linear and cosine between start and end, renormalised over active sources),
 * realised token shares converging to constant targets and following a moving one, multi-epoch counting with a
 * small source wrapping around many times, and a source leaving after maxEpochs.
 */
import { join } from 'node:path';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MixtureSchedule, PackedLoader, type PackedLoaderOptions } from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

let tokenizer: Tokenizer;
let dir: string;
const opened: PackedLoader[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
});
async function openLoader(o: PackedLoaderOptions): Promise<PackedLoader> {
  const loader = await PackedLoader.open(o);
  opened.push(loader);
  return loader;
}
beforeAll(async () => {
  tokenizer = await tinyTokenizer();
  dir = tempDir();
  writeJsonl(join(dir, 'web.jsonl'), makeDocuments(60, 1000, 40));
  writeJsonl(join(dir, 'code.jsonl'), makeDocuments(25, 2000, 25));
  writeJsonl(join(dir, 'math.jsonl'), makeDocuments(4, 3000, 10));
});

function options(
  mixture: PackedLoaderOptions['mixture'],
  extra: Partial<PackedLoaderOptions> = {},
): PackedLoaderOptions {
  return {
    tokenizer,
    sources: [
      { name: 'web', kind: 'jsonl', paths: [join(dir, 'web.jsonl')] },
      { name: 'code', kind: 'jsonl', paths: [join(dir, 'code.jsonl')] },
      { name: 'math', kind: 'jsonl', paths: [join(dir, 'math.jsonl')] },
    ],
    mixture,
    seqLen: 32,
    seed: 99,
    onBadInput: 'refuse',
    eosId: EOS_ID,
    ...extra,
  };
}

describe('MixtureSchedule', () => {
  const names = ['a', 'b', 'c'];
  const moving = { start: { a: 70, b: 30, c: 0 }, end: { a: 50, b: 25, c: 25 }, steps: 1000 };

  it('interpolates linearly from start to end and stays at end', () => {
    const s = new MixtureSchedule(names, moving);
    const all = [true, true, true];
    expect([...s.weightsAt(0, all)]).toEqual([0.7, 0.3, 0]);
    const mid = s.weightsAt(500, all);
    expect(mid[0]).toBeCloseTo(0.6, 15);
    expect(mid[1]).toBeCloseTo(0.275, 15);
    expect(mid[2]).toBeCloseTo(0.125, 15);
    expect([...s.weightsAt(1000, all)]).toEqual([0.5, 0.25, 0.25]);
    expect([...s.weightsAt(5000, all)]).toEqual([0.5, 0.25, 0.25]);
  });

  it('follows a half cosine when asked', () => {
    const s = new MixtureSchedule(names, { ...moving, shape: 'cosine' });
    const w = s.weightsAt(250, [true, true, true]);
    const t = (1 - Math.cos(Math.PI / 4)) / 2;
    expect(w[2]).toBeCloseTo(0.25 * t, 15);
    expect(w[0]).toBeCloseTo(0.7 + (0.5 - 0.7) * t, 15);
  });

  it('renormalises over the active sources and refuses bad configurations', () => {
    const s = new MixtureSchedule(names, { a: 2, b: 1, c: 1 });
    expect([...s.weightsAt(0, [true, false, true])]).toEqual([2 / 3, 0, 1 / 3]);
    expect(() => new MixtureSchedule(names, { a: 1, b: 1 })).toThrow(/no weight for source 'c'/);
    expect(() => new MixtureSchedule(names, { a: 1, b: 1, c: 1, d: 1 })).toThrow(/'d', which is not a source/);
    expect(() => new MixtureSchedule(names, { a: -1, b: 1, c: 1 })).toThrow(/>= 0/);
    expect(() => s.weightsAt(0, [false, false, false])).toThrow(/no source with a positive mixture weight/);
  });
});

describe('token-weighted mixture in the loader', () => {
  it('realises constant token shares within about one document', async () => {
    const loader = await openLoader(options({ web: 0.6, code: 0.3, math: 0.1 }));
    for (let step = 0; step < 60; step++) await loader.next(4, step);
    const report = loader.report();
    const served = report.sources.reduce((n, s) => n + s.tokensServed, 0);
    const target = { web: 0.6, code: 0.3, math: 0.1 } as Record<string, number>;
    for (const s of report.sources) {
      // The deficit rule keeps each source within one (longest) document of its target: ≤ 60 tokens here.
      expect(Math.abs(s.tokensServed - target[s.name]! * served)).toBeLessThanOrEqual(60);
      expect(s.targetWeight).toBeCloseTo(target[s.name]!, 12);
    }
    // The small source wrapped around many times, and its epochs are counted.
    const math = report.sources.find((s) => s.name === 'math')!;
    expect(math.epochsCompleted).toBeGreaterThan(5);
    expect(math.documentsServed).toBeGreaterThanOrEqual(math.epochsCompleted * 4);
    expect(math.documentsServed).toBeLessThan((math.epochsCompleted + 1) * 4 + 1);
  });

  it('follows a moving mixture: each window of steps gets the tokens the schedule owes it', async () => {
    const mixture = { start: { web: 0.8, code: 0.2, math: 0 }, end: { web: 0.2, code: 0.3, math: 0.5 }, steps: 40 };
    const loader = await openLoader(options(mixture));
    const schedule = new MixtureSchedule(['web', 'code', 'math'], mixture);
    const windows: { got: number[]; want: number[] }[] = [];
    for (let w = 0; w < 6; w++) {
      const got = [0, 0, 0];
      const want = [0, 0, 0];
      for (let k = 0; k < 10; k++) {
        const step = w * 10 + k;
        const batch = await loader.next(4, step);
        const weights = schedule.weightsAt(step, [true, true, true]);
        ['web', 'code', 'math'].forEach((n, i) => {
          got[i]! += batch.tokensPerSource[n]!;
          want[i]! += weights[i]! * batch.rows * batch.seqLen;
        });
      }
      windows.push({ got, want });
    }
    // Over 1,280 tokens a window, each source is within two documents (plus the open one) of its scheduled share.
    for (const { got, want } of windows)
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(130);
    // No math at all while its weight is 0 at step 0; most math at the end.
    expect(windows[5]!.got[2]!).toBeGreaterThan(windows[1]!.got[2]!);
    expect(windows[5]!.got[0]!).toBeLessThan(windows[0]!.got[0]!);
  });

  it('drops a source after maxEpochs and renormalises the rest', async () => {
    const o = options({ web: 0.5, code: 0.3, math: 0.2 });
    o.sources = o.sources.map((s) => (s.name === 'math' ? { ...s, maxEpochs: 2 } : s));
    const loader = await openLoader(o);
    for (let step = 0; step < 40; step++) {
      const batch = await loader.next(4, step);
      const math = loader.report().sources.find((s) => s.name === 'math')!;
      if (math.exhausted) {
        expect(batch.weights.math).toBe(0);
        expect(batch.weights.web).toBeCloseTo(0.5 / 0.8, 12);
      }
    }
    const math = loader.report().sources.find((s) => s.name === 'math')!;
    expect(math.exhausted).toBe(true);
    expect(math.epochsCompleted).toBe(2);
    expect(math.documentsServed).toBe(8);
  });

  it('refuses to go on when every source is exhausted', async () => {
    const o = options({ web: 1, code: 1, math: 1 });
    o.sources = o.sources.map((s) => ({ ...s, maxEpochs: 1 }));
    const loader = await openLoader(o);
    await expect(async () => {
      for (let step = 0; step < 1000; step++) await loader.next(8, step);
    }).rejects.toThrow(/no source with a positive mixture weight is left/);
  });
});
