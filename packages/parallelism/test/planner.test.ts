/**
 * The planner against the seminar: Falcon-H1-34B at 262K context trained on DP 24 × TP 4 × PP 2 × CP 16 with
 * mixer parallelism (falcon-h1-reference.md §8; 3,072 GPUs). The reference notes give only this row of the
 * seminar's table, so the other checks are the table's trends: short contexts of small models are pure data
 * parallelism, context parallelism grows with the context, and every pick fits in memory.
 */
import { FALCON_H1_SIZES, falconH1Preset } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { h100Cluster, layoutName, layoutProblem, planLayout, rankLayouts } from '../src/index.js';

const workload = (context: number) => ({ context, batchTokens: 16 * 2 ** 20, recompute: 'full' as const });
const seminar34B = { dp: 24, tp: 4, pp: 2, cp: 16, mixer: true };

describe('planner', () => {
  it('34B at 262K on 3,072 H100s: TP 4 with mixer parallelism and CP 16, as the seminar', () => {
    const config = falconH1Preset('34B').config;
    const cluster = h100Cluster(3072);
    const ranked = rankLayouts(config, cluster, workload(262_144));
    const best = ranked[0]!;
    expect([best.layout.tp, best.layout.mixer, best.layout.cp]).toEqual([4, true, 16]);
    // The seminar's own layout fits and is within 15 % of the best estimate (our pick differs in PP: see README).
    const seminar = ranked.find((r) => layoutName(r.layout) === layoutName(seminar34B));
    expect(seminar, 'the seminar layout fits').toBeDefined();
    expect(seminar!.estimate.time.total / best.estimate.time.total).toBeLessThan(1.15);
  });

  it('explains why the seminar needs mixer parallelism for TP 4 of 34B: the SSM has 2 gated-norm groups', () => {
    const config = falconH1Preset('34B').config;
    expect(layoutProblem(config, { ...seminar34B, mixer: false }, 262_144)).toMatch(/2 gated-norm groups/);
    expect(layoutProblem(config, seminar34B, 262_144)).toBeUndefined();
  });

  it('picks pure data parallelism for a small model at a short context', () => {
    const { layout } = planLayout(falconH1Preset('0.5B').config, h100Cluster(64), workload(4096));
    expect(layout).toEqual({ dp: 64, tp: 1, pp: 1, cp: 1, mixer: false });
  });

  it('uses context parallelism at 262K for every size, at least as much as at 4K, and every pick fits', () => {
    for (const size of FALCON_H1_SIZES) {
      const cluster = h100Cluster(size === '34B' ? 3072 : 256);
      const cp = [4096, 16_384, 65_536, 262_144].map((context) => {
        const { layout, estimate } = planLayout(falconH1Preset(size).config, cluster, workload(context));
        expect(estimate.memory.total, `${size} at ${context}`).toBeLessThanOrEqual(cluster.memoryBytes);
        return layout.cp;
      });
      expect(cp[3], `${size}: CP at 262K`).toBeGreaterThan(1);
      expect(cp[3], `${size}: CP at 262K vs 4K`).toBeGreaterThanOrEqual(cp[0]!);
    }
  });

  it('refuses a cluster where nothing fits, naming the memory', () => {
    const tiny = { ...h100Cluster(8), memoryBytes: 1e9 };
    expect(() => planLayout(falconH1Preset('34B').config, tiny, workload(4096))).toThrow(
      /no layout of 8 GPUs fits 1 GB/,
    );
  });
});
