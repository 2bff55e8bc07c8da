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
 * SwiGluPackedMatMul): the 0.5B's SA_M layer is 6 kernels.
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference/base';
import { type Backend, useBackend } from '@falcon-h1/core-tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FalconH1Config, FalconH1ForCausalLM, randomFalconH1Parameters, StaticDecoder } from '../src/index.js';
import { configFor } from './tiny-config.js';

/** The reference backend, noting the name of every kernel it runs. */
function recordingReference(log: string[]): Backend {
  const inner = createReferenceBackend();
  const kernels = Object.fromEntries(
    Object.entries(inner.kernels).map(([name, kernel]) => [
      name,
      (inputs: unknown, attrs: unknown): unknown => {
        log.push(name);
        return (kernel as (i: unknown, a: unknown) => unknown)(inputs, attrs);
      },
    ]),
  );
  // Everything else (buffers, supportsKernel, …) is the reference backend's own, through the prototype.
  return Object.create(inner, { kernels: { value: kernels } }) as Backend;
}

/** A projection: its MatMul, and the Add of its bias. */
const linear = (bias: boolean): string[] => (bias ? ['MatMul', 'Add'] : ['MatMul']);

/** The gated RMSNorm after the SSM step (z's columns of the projection, the norm; f32 activations: no casts). */
const gatedNorm = (config: FalconH1Config): string[] => (config.mamba_rms_norm ? ['Slice', 'RmsNormGated'] : []);

/** gate|up as one projection, SwiGluPacked, the pre-scaled down projection (session 6; S_A_M now). */
const mlp = (config: FalconH1Config): string[] => [
  ...linear(config.mlp_bias),
  'SwiGluPacked',
  ...linear(config.mlp_bias),
];

/** SwiGluPacked and the bias-free down projection fused; with a bias, apart (and its Add). */
const mlpDown = (config: FalconH1Config): string[] =>
  config.mlp_bias ? ['SwiGluPacked', ...linear(true)] : ['SwiGluPackedMatMul'];

/**
 * A norm and the projection that alone reads it: one AddRmsNormMatMul where the norm's input is a pending add and
 * the projection has no bias; otherwise the norm (`norm`), then the projection.
 */
const normedProjection = (norm: string, bias: boolean): string[] =>
  norm === 'AddRmsNorm' && !bias ? ['AddRmsNormMatMul'] : [norm, ...linear(bias)];

/** The fused kernels, each as the two it replaces (for the comparisons with session 6's unfused step). */
const unfuse = (names: readonly string[]): string[] =>
  names.flatMap((name) =>
    name === 'AddRmsNormMatMul'
      ? ['AddRmsNorm', 'MatMul']
      : name === 'SwiGluPackedMatMul'
        ? ['SwiGluPacked', 'MatMul']
        : [name],
  );

/** The first layer normalises the embeddings; every later one adds the previous layer's pending residual first. */
const inputNorm = (first: boolean): string => (first ? 'RmsNorm' : 'AddRmsNorm');

/** The merged out-projection [out_proj | o_proj] has a bias where either has one. */
const outBias = (config: FalconH1Config): boolean => config.projectors_bias || config.attention_bias;

/** One layer of this step, in order. */
function layerKernels(config: FalconH1Config, first: boolean): string[] {
  const inBias = config.mamba_proj_bias || config.attention_bias; // [in_proj ; q|k|v]: zeros for a missing bias
  // One MatMul of n by [in_proj ; q|k|v]; the SSM step reads columns from 0 and updates its states in place; the
  // attention step reads q|k|v after in_proj's width and returns [gated SSM output | heads] for the out-projection.
  const steps = ['SsmDecodeStepInPlace', ...gatedNorm(config), 'AttentionDecodeStep', ...linear(outBias(config))];
  switch (config.block_layout) {
    case 'SA_M':
      // n feeds only the branches' projection, pre_ff's norm only gate|up: each fused with it where it has no bias.
      return [
        ...normedProjection(inputNorm(first), inBias),
        ...steps,
        ...normedProjection('AddRmsNorm', config.mlp_bias),
        ...mlpDown(config),
      ];
    case 'SAM':
      // n feeds the branches and the MLP: input_layernorm and both projections apart.
      return [inputNorm(first), ...linear(inBias), ...steps, ...linear(config.mlp_bias), ...mlpDown(config), 'Add'];
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

const tally = (names: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
};

const PROMPTS = [
  [3, 17, 5, 29, 8, 1, 22],
  [11, 2, 33],
];

describe('the kernels of one static-decoder step', () => {
  const log: string[] = [];
  // This file's only backend (nothing else is registered here).
  beforeAll(() => useBackend(recordingReference(log)));

  const cases: Array<[string, FalconH1Config]> = [
    ['SA_M, plain y·silu(z) gate, no biases (the 0.5B layer)', configFor('SA_M', false, { mamba_rms_norm: false })],
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
  for (const [label, config] of cases) {
    it(`${label}: the layers' kernels in order, no state copy`, () => {
      const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 21, dtype: 'f32' }));
      const decoder = new StaticDecoder(model, PROMPTS, { maxLength: 10 });
      decoder.step(); // the first step warms up like every later one; count the second
      log.length = 0;
      decoder.step();
      const layers = model.model.layers.map((_, i) => layerKernels(config, i === 0));
      expect(log).toEqual(stepKernels(layers.flat()));
      if (label.endsWith('(the 0.5B layer)')) {
        // What the derivation gives for the published layer, spelled out: 7 kernels in the first layer, 6 after.
        const rest = [
          'SsmDecodeStepInPlace',
          'AttentionDecodeStep',
          'MatMul',
          'AddRmsNormMatMul',
          'SwiGluPackedMatMul',
        ];
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
