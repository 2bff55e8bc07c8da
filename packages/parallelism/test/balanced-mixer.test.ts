/**
 * The balanced mixer-parallel plan: every SSM head and MLP channel on exactly one rank, attention only on the
 * first half, splits the local modules cannot read refused; and the split that equalises the halves' costs.
 */
import { falconH1Preset, parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import {
  balancedMixerPlan,
  balancedMixerSplit,
  endShards,
  type LayerShardPlan,
  layerShards,
  mixerParallelPlan,
  sharedGradientPlan,
  tensorParallelPlan,
} from '../src/index.js';
import { modelInput } from './reference.js';

const config05 = falconH1Preset('0.5B').config;

describe('balanced mixer parallelism', () => {
  it('covers every SSM head and MLP channel once; attention stays on the first half (0.5B, TP 4)', () => {
    const split = { ssmHeadsOnAttention: 8, mlpChannelsOnAttention: 1024 };
    const plans = [0, 1, 2, 3].map((rank) => balancedMixerPlan(config05, 4, rank, split));
    const heads = plans.flatMap((p) => p.ssm?.heads ?? []).sort((a, b) => a - b);
    expect(heads).toEqual(Array.from({ length: config05.mamba_n_heads }, (_, i) => i));
    expect(plans.map((p) => p.ssm?.heads.length)).toEqual([4, 4, 8, 8]);
    expect(plans.map((p) => p.mlp)).toEqual([
      [0, 512],
      [512, 1024],
      [1024, 1536],
      [1536, 2048],
    ]);
    expect(plans.map((p) => p.attention?.queryHeads.length ?? 0)).toEqual([4, 4, 0, 0]);
  });

  it('refuses a split that cuts a gated-norm group or does not divide', () => {
    const tinyA = parseFalconH1ConfigJson(modelInput(false).configText); // 8 heads in 2 groups, gated norm on
    expect(() => balancedMixerPlan(tinyA, 2, 0, { ssmHeadsOnAttention: 2, mlpChannelsOnAttention: 80 })).toThrow(
      /gated RMSNorm needs whole groups/,
    );
    expect(() => balancedMixerPlan(config05, 4, 0, { ssmHeadsOnAttention: 3, mlpChannelsOnAttention: 1024 })).toThrow(
      /3 SSM heads on the attention ranks do not split over 2 ranks/,
    );
  });

  it('moves SSM heads to the attention side when the SSM is heavier, MLP channels otherwise', () => {
    // a + x·s = (1 − x)·s with a = 1, s = 3: x = 1/3 of 24 heads.
    expect(balancedMixerSplit(config05, 2, { attention: 1, ssm: 3, mlp: 2 })).toEqual({
      ssmHeadsOnAttention: 8,
      mlpChannelsOnAttention: 1024,
    });
    // a + y·m = s + (1 − y)·m with a = 2, s = 1, m = 4: y = 3/8 of 2048 channels.
    expect(balancedMixerSplit(config05, 2, { attention: 2, ssm: 1, mlp: 4 })).toEqual({
      ssmHeadsOnAttention: 0,
      mlpChannelsOnAttention: 768,
    });
  });
});

describe('shared-gradient plan at 0.5B', () => {
  const shardsOf = (planOf: (rank: number, layer: number) => LayerShardPlan) =>
    [0, 1].map((rank) => [
      ...endShards(config05, 'replicated'),
      ...Array.from({ length: config05.num_hidden_layers }, (_, layer) =>
        layerShards(config05, layer, planOf(rank, layer), false),
      ).flat(),
    ]);

  it("TP 2 sums only the single SSM group's B and C rows of in_proj and conv (both ranks hold them)", () => {
    const plan = sharedGradientPlan(
      shardsOf((rank) => tensorParallelPlan(config05, 2, rank)),
      0,
    );
    const { hidden_size: d, mamba_d_state: n, mamba_d_conv: k } = config05;
    // Per layer: 2n rows of in_proj [·, d], 2n rows of conv1d [·, 1, k] and of its bias.
    expect(plan.elements).toBe(config05.num_hidden_layers * (2 * n * d + 2 * n * k + 2 * n));
    expect(new Set(plan.entries.map((e) => e.name.replace(/^model\.layers\.\d+\./, '')))).toEqual(
      new Set(['mamba.in_proj.weight', 'mamba.conv1d.weight', 'mamba.conv1d.bias']),
    );
  });

  it('naive MP 2 shares nothing', () => {
    const plan = sharedGradientPlan(
      shardsOf((rank, layer) => mixerParallelPlan(config05, 2, rank, layer, 'naive')),
      1,
    );
    expect(plan.entries).toEqual([]);
  });
});
