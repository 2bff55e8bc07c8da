/**
 * Tensor parallelism (TP 2, with and without sequence parallelism), mixer parallelism (naive and interleaved,
 * 2 and 4 ranks: attention and SSM heads on disjoint ranks) and DP 2 × TP 2 on a device mesh give the one-device
 * loss and gradients — as do TP 4 without the gated norm (KV heads and SSM groups shared between ranks) and a
 * balanced MP layer (SSM heads of one group on both halves) — and the bucketed device sum of shared gradients
 * equals the per-tensor and host paths bitwise; every parameter's gradient is assembled from the ranks' pieces
 * (holders of a shared piece, and data-parallel replicas, must agree bitwise).
 */
import { parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { type BalancedMixerSplit, tensorParallelPlan } from '../src/index.js';
import { assemblePieces } from './assemble.js';
import { expectAllClose, expectLossClose, modelInput, oneDevice } from './reference.js';
import { runScenario } from './world/bundled-world.js';
import type { ModelInput } from './world/model-setup.js';
import type { GradientPiece, TensorParallelInput } from './world/tensor-parallel-scenario.js';

/** tiny-a without the gated norm: TP 4 then shares KV heads and SSM groups between ranks. */
const NO_GATED_NORM = { mamba_rms_norm: false };
/** …and one SSM group (as 0.5B): a balanced MP layer may split the group's heads unevenly. */
const ONE_GROUP = { mamba_rms_norm: false, mamba_n_groups: 1 };

function patchedInput(packed: boolean, patch: Record<string, unknown> | undefined): ModelInput {
  const input = modelInput(packed);
  if (!patch) return input;
  return { ...input, configText: JSON.stringify({ ...JSON.parse(input.configText), ...patch }) };
}

const cases: ReadonlyArray<{
  layout: TensorParallelInput['layout'];
  sequenceParallel: boolean;
  w: number;
  packed: boolean;
  dataParallel?: number;
  patch?: Record<string, unknown>;
  split?: BalancedMixerSplit;
}> = [
  { layout: 'tensor', sequenceParallel: false, w: 2, packed: true },
  { layout: 'tensor', sequenceParallel: true, w: 2, packed: true },
  { layout: 'naive', sequenceParallel: false, w: 2, packed: false },
  { layout: 'interleaved', sequenceParallel: true, w: 4, packed: true },
  { layout: 'tensor', sequenceParallel: true, w: 4, packed: true, dataParallel: 2 },
  { layout: 'tensor', sequenceParallel: true, w: 4, packed: true, patch: NO_GATED_NORM },
  {
    layout: 'balanced',
    sequenceParallel: false,
    w: 2,
    packed: true,
    patch: ONE_GROUP,
    split: { ssmHeadsOnAttention: 2, mlpChannelsOnAttention: 60 },
  },
];

describe('tensor and mixer parallelism', () => {
  for (const c of cases) {
    const dp = c.dataParallel ?? 1;
    const name = `${dp > 1 ? `DP ${dp} × ` : ''}${c.layout === 'tensor' ? 'TP' : `MP (${c.layout})`} ${c.w / dp}${c.sequenceParallel ? ' + sequence parallel' : ''}${c.packed ? ', packed' : ''}${c.patch ? `, ${JSON.stringify(c.patch)}` : ''}`;
    it(`${name}: loss and every gradient equal one device's`, { timeout: 120_000 }, async () => {
      const input = patchedInput(c.packed, c.patch);
      const want = await oneDevice(input);
      const ranks = await runScenario<{ loss: number; pieces: GradientPiece[] }>(c.w, 'tensorParallel', {
        ...input,
        layout: c.layout,
        sequenceParallel: c.sequenceParallel,
        dataParallel: dp,
        split: c.split,
      });
      for (const r of ranks) expectLossClose(r.loss, want.loss);
      expectAllClose(assemblePieces(ranks, want.grads), want.grads);
    });
  }

  it('sums shared gradients on the device in buckets exactly as per tensor and as the host reference', {
    timeout: 120_000,
  }, async () => {
    // TP 4 with sequence parallelism, no gated norm: shared KV heads, SSM groups, norms, embedding and head.
    const ranks = await runScenario<{
      pieces: Record<'bucketed' | 'smallBuckets' | 'perTensor' | 'host', GradientPiece[]>;
      sharedParameters: number;
      sharedElements: number;
    }>(4, 'sharedGradients', { ...patchedInput(true, NO_GATED_NORM), layout: 'tensor', sequenceParallel: true });
    for (const r of ranks) {
      expect(r.sharedParameters).toBeGreaterThan(0);
      expect(r.pieces.bucketed.length).toBe(r.pieces.host.length);
      r.pieces.host.forEach((want, k) => {
        for (const path of ['bucketed', 'smallBuckets', 'perTensor'] as const) {
          const got = r.pieces[path][k]!;
          expect(got.name).toBe(want.name);
          expect(got.values, `${path}: ${want.name}`).toEqual(want.values);
        }
      });
    }
  });

  it('refuses to split a gated-norm group of the SSM over ranks (tiny-a has 2 groups, TP 4)', () => {
    const config = parseFalconH1ConfigJson(modelInput(false).configText);
    expect(() => tensorParallelPlan(config, 4, 0)).toThrow(/2 groups cannot split over 4 ranks/);
  });
});
