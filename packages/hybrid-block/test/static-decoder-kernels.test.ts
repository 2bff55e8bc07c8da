/**
 * Every kernel one static-decoder step dispatches, in order, counted by a recording wrapper around the reference
 * backend (the engine runs each kernel through it; the reference kernels compute everything). Core's `overwrite`
 * of a Variable shows as a `Copy` kernel here (this backend copies into a fresh buffer; CUDA replays a memcpy node),
 * so a copy of the next Mamba2 state back into its buffers would show too. The expected lists are derived from the
 * layer's structure (FalconH1DecoderLayer.decodeStep, StaticDecoder.body), not from a run; the session-6 structure
 * is written next to them, so the test states what this step sheds: per SA_M or SAM layer one MatMul (in_proj and
 * q|k|v as one projection), the Concat (the attention step writes [gated SSM output | heads] itself), the two state
 * copies (SsmDecodeStepInPlace) — and, where both projections had a bias, one Add. On top of that, each bias-free
 * projection whose input only it reads runs fused with the kernel that makes that input (AddRmsNormMatMul,
 * SwiGluPackedMatMul; SA_M's bias-free MLP and its norm as one AddRmsNormSwiGluMlp), and the two mixers' steps run as
 * one kernel (ParallelMixersDecodeStep) where the SSM step has the plain y·silu(z) gate: the 0.5B's SA_M layer is 4
 * kernels (5 with `parallelMixers: false`).
 */
import { useBackend } from '@falcon-h1/core-tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FalconH1Config,
  FalconH1ForCausalLM,
  randomFalconH1Parameters,
  StaticDecoder,
  type StaticDecoderOptions,
} from '../src/index.js';
import { inputNorm, linear, outBias, parallelLayer, recordingReference, tally } from './kernel-lists.js';
import { configFor } from './tiny-config.js';

/** The gated RMSNorm after the SSM step (z's columns of the projection, the norm; f32 activations: no casts). */
const gatedNorm = (config: FalconH1Config): string[] => (config.mamba_rms_norm ? ['Slice', 'RmsNormGated'] : []);

/** gate|up as one projection, SwiGluPacked, the pre-scaled down projection (session 6; S_A_M now). */
const mlp = (config: FalconH1Config): string[] => [
  ...linear(config.mlp_bias),
  'SwiGluPacked',
  ...linear(config.mlp_bias),
];

/** The fused kernels, each as the two it replaces (for the comparisons with session 6's unfused step). */
const FUSED: Record<string, string[]> = {
  AddRmsNormMatMul: ['AddRmsNorm', 'MatMul'],
  SwiGluPackedMatMul: ['SwiGluPacked', 'MatMul'],
  AddRmsNormSwiGluMlp: ['AddRmsNorm', 'MatMul', 'SwiGluPacked', 'MatMul'],
  ParallelMixersDecodeStep: ['SsmDecodeStepInPlace', 'AttentionDecodeStep'],
};
const unfuse = (names: readonly string[]): string[] => names.flatMap((name) => FUSED[name] ?? [name]);

/** One layer of this step, in order (`parallelMixers`: the StaticDecoder option, default true). */
function layerKernels(config: FalconH1Config, first: boolean, parallelMixers = true): string[] {
  // One MatMul of n by [in_proj ; q|k|v]; the SSM step reads columns from 0 and updates its states in place; the
  // attention step reads q|k|v after in_proj's width and returns [gated SSM output | heads] for the out-projection.
  // The two steps are one kernel where the SSM step ends with the plain gate (the gated norm's kernels come between
  // them otherwise), unless the decoder was asked for two.
  const mixers =
    parallelMixers && !config.mamba_rms_norm
      ? ['ParallelMixersDecodeStep']
      : ['SsmDecodeStepInPlace', ...gatedNorm(config), 'AttentionDecodeStep'];
  const steps = [...mixers, ...linear(outBias(config))];
  switch (config.block_layout) {
    case 'SA_M':
    case 'SAM':
      // SA_M: n feeds only the branches' projection, pre_ff's norm only gate|up (each fused with it where it has no
      // bias); SAM: n feeds the branches and the MLP (input_layernorm and both projections apart).
      return parallelLayer(config, first, steps);
    case 'S_A_M': {
      // Sequential branches: each projects its own input. Attention's output scale (attention_out_multiplier, times
      // attention_in_multiplier where attention folds it: no q/k/v bias) is a Scale after o_proj.
      const attentionScale =
        (config.attention_bias ? 1 : config.attention_in_multiplier) * config.attention_out_multiplier;
      return [
        inputNorm(first),
        ...linear(config.mamba_proj_bias),
        'SsmDecodeStepInPlace',
        ...gatedNorm(config),
        ...linear(config.projectors_bias),
        'AddRmsNorm',
        ...linear(config.attention_bias),
        'AttentionDecodeStep',
        ...linear(config.attention_bias),
        ...(attentionScale === 1 ? [] : ['Scale']),
        'AddRmsNorm',
        ...mlp(config),
      ];
    }
  }
}

/** An SA_M or SAM layer in session 6's step: in_proj and q|k|v projected apart, a Concat, two state copies. */
function sessionSixLayerKernels(config: FalconH1Config, first: boolean): string[] {
  const branches = [
    ...linear(config.mamba_proj_bias),
    'SsmDecodeStep',
    ...gatedNorm(config),
    'Copy', // overwrite(conv_state, next)
    'Copy', // overwrite(ssm_state, next)
    ...linear(config.attention_bias),
    'AttentionDecodeStep',
    'Concat',
    ...linear(outBias(config)),
  ];
  return config.block_layout === 'SA_M'
    ? [inputNorm(first), ...branches, 'AddRmsNorm', ...mlp(config)]
    : [inputNorm(first), ...branches, ...mlp(config), 'Add'];
}

/** The whole step around the layers (StaticDecoder.body). */
function stepKernels(layers: string[]): string[] {
  return [
    'CacheWrite', // this step's document ids into their slot
    'Gather', // the embeddings of the next tokens
    'Scale', // · embedding_multiplier
    ...layers,
    'AddRmsNorm', // the last layer's pending residual add and the final norm
    'MatMul', // lm_head
    'Scale', // · lm_head_multiplier
    'ArgMax', // the greedy tokens
    'Copy', // overwrite(tokens)
    'Add',
    'Copy', // positions + 1
    'Add',
    'Copy', // slot + 1
  ];
}

const PROMPTS = [
  [3, 17, 5, 29, 8, 1, 22],
  [11, 2, 33],
];

describe('the kernels of one static-decoder step', () => {
  const log: string[] = [];
  // This file's only backend (nothing else is registered here).
  beforeAll(() => useBackend(recordingReference(log)));

  const cases: Array<[string, FalconH1Config, StaticDecoderOptions?]> = [
    ['SA_M, plain y·silu(z) gate, no biases (the 0.5B layer)', configFor('SA_M', false, { mamba_rms_norm: false })],
    [
      'SA_M, plain gate, no biases, parallelMixers: false (the mixers as two kernels)',
      configFor('SA_M', false, { mamba_rms_norm: false }),
      { maxLength: 10, parallelMixers: false },
    ],
    ['SA_M, gated RMSNorm, every bias', configFor('SA_M', true)],
    ['SAM, plain gate, no biases', configFor('SAM', false)],
    [
      'SAM, plain gate, in_proj and q|k|v biases',
      configFor('SAM', false, { mamba_proj_bias: true, attention_bias: true }),
    ],
    [
      'SA_M, plain gate, in_proj bias only (input_layernorm apart, pre_ff fused)',
      configFor('SA_M', false, { mamba_proj_bias: true, mamba_rms_norm: false }),
    ],
    ['S_A_M, gated RMSNorm, no biases', configFor('S_A_M', false)],
  ];
  for (const [label, config, options = { maxLength: 10 }] of cases) {
    it(`${label}: the layers' kernels in order, no state copy`, () => {
      const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 21, dtype: 'f32' }));
      const decoder = new StaticDecoder(model, PROMPTS, options);
      decoder.step(); // the first step warms up like every later one; count the second
      log.length = 0;
      decoder.step();
      const layers = model.model.layers.map((_, i) => layerKernels(config, i === 0, options.parallelMixers));
      expect(log).toEqual(stepKernels(layers.flat()));
      if (label.endsWith('(the 0.5B layer)')) {
        // What the derivation gives for the published layer, spelled out: 5 kernels in the first layer, 4 after.
        const rest = ['ParallelMixersDecodeStep', 'MatMul', 'AddRmsNormSwiGluMlp'];
        expect(layers).toEqual([
          ['RmsNorm', 'MatMul', ...rest],
          ['AddRmsNormMatMul', ...rest],
        ]);
      }
      if (config.block_layout !== 'S_A_M') {
        for (const [i, now] of layers.entries()) {
          const before = tally(sessionSixLayerKernels(config, i === 0));
          const after = tally(unfuse(now));
          expect(after.get('MatMul'), 'one MatMul fewer').toBe(before.get('MatMul')! - 1);
          expect([before.get('Concat'), after.get('Concat')]).toEqual([1, undefined]);
          expect([before.get('Copy'), after.get('Copy')]).toEqual([2, undefined]);
          // The bias Adds of in_proj and q|k|v become one where both had a bias.
          const bothBiased = config.mamba_proj_bias && config.attention_bias;
          expect(after.get('Add') ?? 0).toBe((before.get('Add') ?? 0) - (bothBiased ? 1 : 0));
        }
      }
      decoder.dispose();
      for (const p of model.parameters.values()) p.dispose();
    });
  }
});
