/**
 * The in-process collectives against their definitions, on worlds of 1, 2, 3 and 4 threads: each result is
 * recomputed on the host from the values every rank contributed.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from './world/bundled-world.js';
import { value } from './world/collectives-scenario.js';

interface Read {
  shape: number[];
  values: number[];
}

interface CollectivesResult {
  rank: number;
  worldSize: number;
  sum: Read;
  max: Read;
  min: Read;
  avg: Read;
  sumI32: Read;
  reduceScatter: Read;
  allGather: Read;
  broadcast: Read;
  ring: Read;
  exchange: number[][];
  split: { rank: number; worldSize: number; sum: number[] };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('thread collectives', () => {
  for (const w of [1, 2, 3, 4]) {
    it(`match their definitions on ${w} ranks`, { timeout: 60_000 }, async () => {
      const results = await runScenario<CollectivesResult>(w, 'collectives', {});
      const ranks = range(w);
      for (const [rank, got] of results.entries()) {
        expect([got.rank, got.worldSize]).toEqual([rank, w]);
        const over = (f: (vs: number[]) => number, n: number) => range(n).map((i) => f(ranks.map((r) => value(r, i))));
        expect(got.sum).toEqual({ shape: [2, 3], values: over((vs) => vs.reduce((a, b) => a + b), 6) });
        expect(got.max.values).toEqual(over((vs) => Math.max(...vs), 6));
        expect(got.min.values).toEqual(over((vs) => Math.min(...vs), 6));
        expect(got.avg.values).toEqual(over((vs) => vs.reduce((a, b) => a + b) / w, 6));
        // i32 truncates the .5 values on the way in
        expect(got.sumI32.values).toEqual(range(4).map((i) => ranks.reduce((a, r) => a + Math.trunc(value(r, i)), 0)));
        expect(got.reduceScatter).toEqual({
          shape: [2, 3],
          values: range(6).map((i) => ranks.reduce((a, r) => a + value(r, rank * 6 + i), 0)),
        });
        expect(got.allGather).toEqual({
          shape: [2 * w, 3],
          values: ranks.flatMap((r) => range(6).map((i) => value(r, i))),
        });
        expect(got.broadcast.values).toEqual(range(6).map((i) => value(w - 1, i)));
        expect(got.ring).toEqual({ shape: [3], values: range(3).map((i) => value((rank + w - 1) % w, i)) });
        expect(got.exchange).toEqual(
          ranks.flatMap((src) => [0, 1].map((k) => [0, 1].map((i) => value(src, i) + 100 * rank + 1000 * k))),
        );
        const group = ranks.filter((r) => r % 2 === rank % 2);
        expect(got.split).toEqual({
          rank: group.length - 1 - group.indexOf(rank),
          worldSize: group.length,
          sum: [group.reduce((a, b) => a + b, 0)],
        });
      }
    });
  }

  it('match operations by issue order when several are in flight', { timeout: 60_000 }, async () => {
    const results = await runScenario<number[][]>(3, 'overlapped', {});
    for (const got of results) {
      expect(got).toEqual([[0 + 1 + 2], [0, 1, 2].map((r) => r + 100), [202]]);
    }
  });

  it('reports a rank that fails (a mismatched recv) instead of leaving its peer waiting', {
    timeout: 60_000,
  }, async () => {
    await expect(runScenario(2, 'mismatch', {})).rejects.toThrow(
      /rank 1 failed: .*expected f32\[4\], the peer sent f32\[3\]/,
    );
  });
});
