/**
 * The static decoder's parallel mixers (FalconH1DecoderLayer.projectedBranches): in SA_M and SAM layers with the
 * plain y·silu(z) gate, the SSM step and the attention step run as ONE kernel, core's ParallelMixersDecodeStep — and
 * change nothing: step after step, the greedy tokens and the logits equal, bit for bit on the reference backend, those
 * of the same decoder asked for the two kernels (`parallelMixers: false`: SsmDecodeStepInPlace, then
 * AttentionDecodeStep), for one row and for two left-padded rows, through the native kernel and through core's
 * composition, in f32 and bf16. Steps that cannot hand the SSM step over whole keep the two kernels: the gated
 * RMSNorm (its kernels come between the steps) and S_A_M's sequential branches.
 */
import '@falcon-h1/backend-reference';
import {
  dispatchCounts,
  dispose,
  memory,
  resetDispatchCounts,
  setFallbackPolicy,
  type Tensor,
} from '@falcon-h1/core-tensor';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type FalconH1Config, FalconH1ForCausalLM, randomFalconH1Parameters, StaticDecoder } from '../src/index.js';
import { configFor } from './tiny-config.js';

const PROMPTS = [
  [3, 17, 5, 29, 8, 1, 22],
  [11, 2, 33],
];
const STEPS = 5;

/**
 * The bits of an f32 or bf16 tensor's values (bf16 widened to f32 exactly), all finite — equal bits: the same
 * values, -0 and 0 told apart.
 */
function bits(t: Tensor): Uint32Array {
  const values = Float32Array.from(t.dataSync() as ArrayLike<number>);
  expect(values.every(Number.isFinite), 'finite values').toBe(true);
  return new Uint32Array(values.buffer);
}

const ints = (t: Tensor): number[] => Array.from(t.dataSync() as Int32Array);

/**
 * Runs a decoder with the parallel mixers and one without side by side for STEPS steps: every step's logits (as
 * bits) and tokens equal. Returns the kernels' dispatch counts of both decoders' steps together.
 */
function compareSteps(
  config: FalconH1Config,
  prompts: number[][],
  dtype: 'f32' | 'bf16' = 'f32',
): ReturnType<typeof dispatchCounts> {
  const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 29, dtype }));
  const before = memory().numTensors;
  const maxLength = 7 + STEPS + 1;
  const fused = new StaticDecoder(model, prompts, { maxLength });
  const apart = new StaticDecoder(model, prompts, { maxLength, parallelMixers: false });
  expect(ints(fused.nextTokens)).toEqual(ints(apart.nextTokens));
  resetDispatchCounts();
  for (let s = 0; s < STEPS; s++) {
    const got = fused.step();
    const want = apart.step();
    expect(bits(got.logits), `step ${s}: logits`).toEqual(bits(want.logits));
    expect(ints(got.tokens), `step ${s}: tokens`).toEqual(ints(want.tokens));
  }
  const counts = dispatchCounts();
  fused.dispose();
  apart.dispose();
  expect(memory().numTensors).toBe(before);
  dispose([...model.parameters.values()]);
  return counts;
}

describe('the parallel mixers step (ParallelMixersDecodeStep)', () => {
  for (const layout of ['SA_M', 'SAM'] as const) {
    for (const rows of [1, 2]) {
      for (const path of ['native', 'composition'] as const) {
        it(`${layout}, B = ${rows}: tokens and logits equal the two-kernel step bit for bit (${path})`, () => {
          setFallbackPolicy(path === 'native' ? 'none' : ['ParallelMixersDecodeStep']);
          onTestFinished(() => setFallbackPolicy('none'));
          // Biases on one side: the merged projections keep theirs, the mixers' steps fuse all the same.
          const config = configFor(layout, false, { mamba_rms_norm: false, attention_bias: layout === 'SAM' });
          const counts = compareSteps(config, PROMPTS.slice(0, rows));
          const layerSteps = STEPS * config.num_hidden_layers;
          // One fused kernel per layer and step of the first decoder; the second one's two kernels.
          expect(counts.ParallelMixersDecodeStep).toEqual(
            path === 'native' ? { native: layerSteps, fallback: 0 } : { native: 0, fallback: layerSteps },
          );
          if (path === 'native') {
            expect(counts.SsmDecodeStepInPlace).toEqual({ native: layerSteps, fallback: 0 });
            expect(counts.AttentionDecodeStep).toEqual({ native: layerSteps, fallback: 0 });
          }
        });
      }
    }
  }

  it('SA_M, B = 2, bf16 activations: tokens and logits equal the two-kernel step bit for bit', () => {
    const config = configFor('SA_M', false, { mamba_rms_norm: false });
    const counts = compareSteps(config, PROMPTS, 'bf16');
    expect(counts.ParallelMixersDecodeStep).toEqual({ native: STEPS * config.num_hidden_layers, fallback: 0 });
  });

  const apart: Array<[string, FalconH1Config]> = [
    ['SA_M with the gated RMSNorm', configFor('SA_M', false)],
    ['SAM with the gated RMSNorm', configFor('SAM', true, { mamba_rms_norm: true })],
    ['S_A_M (sequential branches), plain gate', configFor('S_A_M', false, { mamba_rms_norm: false })],
  ];
  for (const [label, config] of apart) {
    it(`${label}: keeps the two kernels, whatever the option`, () => {
      const counts = compareSteps(config, PROMPTS);
      const layerSteps = STEPS * config.num_hidden_layers;
      expect(counts.ParallelMixersDecodeStep).toBeUndefined();
      // Both decoders' steps: two of each.
      expect(counts.SsmDecodeStepInPlace).toEqual({ native: 2 * layerSteps, fallback: 0 });
      expect(counts.AttentionDecodeStep).toEqual({ native: 2 * layerSteps, fallback: 0 });
    });
  }
});
