/**
 * Tensor parallelism (TP 2, with and without sequence parallelism), mixer parallelism (naive and interleaved,
 * 2 and 4 ranks: attention and SSM heads on disjoint ranks) and DP 2 × TP 2 on a device mesh give the one-device
 * loss and gradients; every parameter's gradient is assembled from the ranks' pieces (holders of a shared piece,
 * and data-parallel replicas, must agree bitwise).
 */
import { parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { tensorParallelPlan } from '../src/index.js';
import { assemblePieces } from './assemble.js';
import { expectAllClose, expectLossClose, modelInput, oneDevice } from './reference.js';
import { runScenario } from './world/bundled-world.js';
import type { GradientPiece } from './world/tensor-parallel-scenario.js';

const cases = [
  { layout: 'tensor', sequenceParallel: false, w: 2, packed: true },
  { layout: 'tensor', sequenceParallel: true, w: 2, packed: true },
  { layout: 'naive', sequenceParallel: false, w: 2, packed: false },
  { layout: 'interleaved', sequenceParallel: true, w: 4, packed: true },
  { layout: 'tensor', sequenceParallel: true, w: 4, packed: true, dataParallel: 2 },
] as const;

describe('tensor and mixer parallelism', () => {
  for (const c of cases) {
    const dp = 'dataParallel' in c ? c.dataParallel : 1;
    const name = `${dp > 1 ? `DP ${dp} × ` : ''}${c.layout === 'tensor' ? 'TP' : `MP (${c.layout})`} ${c.w / dp}${c.sequenceParallel ? ' + sequence parallel' : ''}${c.packed ? ', packed' : ''}`;
    it(`${name}: loss and every gradient equal one device's`, { timeout: 120_000 }, async () => {
      const input = modelInput(c.packed);
      const want = await oneDevice(input);
      const ranks = await runScenario<{ loss: number; pieces: GradientPiece[] }>(c.w, 'tensorParallel', {
        ...input,
        layout: c.layout,
        sequenceParallel: c.sequenceParallel,
        dataParallel: dp,
      });
      for (const r of ranks) expectLossClose(r.loss, want.loss);
      expectAllClose(assemblePieces(ranks, want.grads), want.grads);
    });
  }

  it('refuses to split a gated-norm group of the SSM over ranks (tiny-a has 2 groups, TP 4)', () => {
    const config = parseFalconH1ConfigJson(modelInput(false).configText);
    expect(() => tensorParallelPlan(config, 4, 0)).toThrow(/2 groups cannot split over 4 ranks/);
  });
});
