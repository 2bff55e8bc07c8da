/**
 * Every kernel a multi-token forward pass (a prefill: `forward(ids, { logitsToKeep: 1 })`) dispatches, in order,
 * counted by a recording wrapper around the reference backend — with the model's inference constants
 * (`prepareInference`: FalconH1DecoderLayer.inferenceForward) and without (the plain layer, training's path). Both
 * lists are derived from the layers' structure (FalconH1Mixer.forward / forwardProjected, FalconH1Attention.attend /
 * attendProjected, the decoder layer), not from a run, so the test states what a prefill layer sheds: per SA_M or
 * SAM layer every multiplier's Scale (folded into the constants' weights), the split of in_proj into five and the
 * Concat of x, B and C (three column Slices of one merged projection instead), three of the four input MatMuls
 * (in_proj and q|k|v as ONE projection), dt_bias's, A's and D's kernels (constants), one of the two output MatMuls
 * and the Add of the branches (out_proj | o_proj merged over a Concat of [gated SSM output | heads]), one MLP input
 * MatMul (gate|up packed), and each residual add a norm reads (fused with it, across layers too) — e.g. 43 kernels
 * → 22 for the 0.5B's SA_M layer in f32 (25 in bf16). 16-bit activations add three Casts per layer (dt, z, the gated
 * output); a cache adds the conv state's Slice and Transpose (the KV cache's first append copies nothing), and document ids
 * (the StaticDecoder's prefill) five kernels more that zero the conv state's columns of other documents.
 */
import { noGrad, tensor, useBackend } from '@falcon-h1/core-tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FalconH1Config, FalconH1ForCausalLM, falconH1Preset, randomFalconH1Parameters } from '../src/index.js';
import { linear, outBias, parallelLayer, recordingReference, tally } from './kernel-lists.js';
import { configFor } from './tiny-config.js';

/** A Scale of a multiplier where it is not 1 (the plain layer skips the others). */
const times = (multiplier: number): string[] => (multiplier === 1 ? [] : ['Scale']);

/** The clamp of dt where the config limits the time step (softplus is positive: the default limit needs none). */
const clampDt = (config: FalconH1Config): string[] => {
  const [lo, hi] = config.time_step_limit;
  return lo > 0 || hi < Number.POSITIVE_INFINITY ? ['Clamp'] : [];
};

/**
 * The plain layer's Mamba2 branch S(n) in f32 (FalconH1Mixer.forward, then the layer's ssm_out Scale): without an
 * in_proj bias ssm_in_multiplier rides on the segments' multipliers (no Scale of the input).
 */
function plainSsm(config: FalconH1Config): string[] {
  const inputScale = config.mamba_proj_bias ? 1 : config.ssm_in_multiplier;
  return [
    ...(config.mamba_proj_bias ? times(config.ssm_in_multiplier) : []),
    ...linear(config.mamba_proj_bias),
    ...new Array<string>(5).fill('Slice'), // z, x, B, C, dt
    ...config.ssm_multipliers.flatMap((m) => times(Math.fround(m) * inputScale)), // each segment's μP multiplier
    'Concat', // x, B, C
    'Add', // dt + dt_bias
    'Softplus',
    ...clampDt(config),
    'Exp', // A = −exp(A_log)
    'Neg',
    'CausalConv1d',
    'Slice',
    'Slice',
    'Slice',
    'SsmScan',
    ...(config.mamba_rms_norm ? ['RmsNormGated'] : ['Silu', 'Mul']),
    ...linear(config.projectors_bias), // out_proj
    'Scale', // ssm_out_multiplier (FalconH1DecoderLayer.ssmBranch)
  ];
}

/** The plain layer's attention branch A(n) (FalconH1Attention.forward; multipliers folded where no bias). */
function plainAttention(config: FalconH1Config): string[] {
  const folded = !config.attention_bias;
  const bias = config.attention_bias;
  const outputScale = (folded ? config.attention_in_multiplier : 1) * config.attention_out_multiplier;
  return [
    ...(folded ? [] : times(config.attention_in_multiplier)),
    ...linear(bias), // q_proj
    ...linear(bias), // k_proj
    ...(folded ? [] : ['Scale']), // key_multiplier
    ...linear(bias), // v_proj
    'Rope',
    'Rope',
    'Attention',
    ...linear(bias), // o_proj
    ...times(outputScale),
  ];
}

/** The plain gated MLP (gate, up, SwiGlu, down, its multiplier). */
const plainMlp = (config: FalconH1Config): string[] => [
  ...linear(config.mlp_bias),
  ...linear(config.mlp_bias),
  'SwiGlu',
  ...linear(config.mlp_bias),
  'Scale',
];

/** One plain layer in f32, no cache (FalconH1DecoderLayer.forward). */
function plainLayerKernels(config: FalconH1Config): string[] {
  const branches = [...plainSsm(config), ...plainAttention(config)];
  return config.block_layout === 'SA_M'
    ? ['RmsNorm', ...branches, 'Add', 'Add', 'RmsNorm', ...plainMlp(config), 'Add']
    : ['RmsNorm', ...branches, 'Add', ...plainMlp(config), 'Add', 'Add'];
}

/** How the prefill runs: no cache, a hybrid cache, or a hybrid cache with document ids (the StaticDecoder's). */
type Cache = false | 'plain' | 'documents';

/**
 * The SSM branch from the merged projection (FalconH1Mixer.forwardProjected): z, the pre-conv xBC and dt as column
 * Slices; dt's bias and softplus (dt cast to f32 first for 16-bit activations); the conv, x/B/C, the scan (with a
 * cache, the conv state's last K columns: Slice, Transpose); the gate in f32 (z cast to it, the output cast back
 * for 16-bit activations).
 */
function inferenceSsm(config: FalconH1Config, half: boolean, cache: Cache): string[] {
  const cast = half ? ['Cast'] : [];
  return [
    'Slice',
    'Slice',
    'Slice',
    ...cast,
    'Add',
    'Softplus',
    ...clampDt(config),
    'CausalConv1d',
    'Slice',
    'Slice',
    'Slice',
    'SsmScan',
    ...(cache ? ['Slice', 'Transpose'] : []),
    // With document ids, columns of another document than the last token's are zeroed (ids of the last K tokens,
    // the last token's, their Equal, the zero, Where).
    ...(cache === 'documents' ? ['Slice', 'Slice', 'Equal', 'Fill', 'Where'] : []),
    ...cast,
    config.mamba_rms_norm ? 'RmsNormGated' : 'SwiGlu',
    ...cast,
  ];
}

/** The attention branch from the merged projection (FalconH1Attention.attendProjected). */
const inferenceAttention = ['Slice', 'Slice', 'Slice', 'Rope', 'Rope', 'Attention'];

/** One layer with inference constants (FalconH1DecoderLayer.inferenceForward). */
function inferenceLayerKernels(config: FalconH1Config, first: boolean, half: boolean, cache: Cache): string[] {
  const branches = [
    ...inferenceSsm(config, half, cache),
    ...inferenceAttention,
    'Concat', // [gated SSM output | heads]
    ...linear(outBias(config)), // [out_proj | o_proj], pre-scaled
  ];
  return parallelLayer(config, first, branches);
}

/** Around the layers: the scaled embeddings, then the final norm (of the last layer's pending add), the head. */
function forwardKernels(layers: string[], pendingLast: boolean): string[] {
  return [
    'Gather',
    'Scale', // · embedding_multiplier
    ...layers,
    pendingLast ? 'AddRmsNorm' : 'RmsNorm',
    'Slice', // logitsToKeep: 1
    'MatMul', // lm_head
    'Scale', // · lm_head_multiplier
  ];
}

const IDS = [3, 17, 5, 29, 8, 1, 22, 9, 14];

/** The tiny sizes with the published 0.5B's multipliers, gate and biases (what decides the kernel list). */
function halfBillionLayer(): FalconH1Config {
  const c = falconH1Preset('0.5B').config;
  return configFor('SA_M', false, {
    mamba_rms_norm: c.mamba_rms_norm,
    key_multiplier: c.key_multiplier,
    attention_in_multiplier: c.attention_in_multiplier,
    attention_out_multiplier: c.attention_out_multiplier,
    ssm_in_multiplier: c.ssm_in_multiplier,
    ssm_out_multiplier: c.ssm_out_multiplier,
    ssm_multipliers: c.ssm_multipliers,
    mlp_multipliers: c.mlp_multipliers,
    embedding_multiplier: c.embedding_multiplier,
    lm_head_multiplier: c.lm_head_multiplier,
  });
}

describe('the kernels of a prefill', () => {
  const log: string[] = [];
  // This file's only backend (nothing else is registered here).
  beforeAll(() => useBackend(recordingReference(log)));

  const cases: Array<[string, FalconH1Config]> = [
    ['SA_M, the 0.5B preset multipliers and flags (the 0.5B layer)', halfBillionLayer()],
    ['SA_M, gated RMSNorm, every bias', configFor('SA_M', true)],
    ['SA_M, plain gate, in_proj bias only', configFor('SA_M', false, { mamba_proj_bias: true, mamba_rms_norm: false })],
    ['SA_M, gated RMSNorm, a time-step limit', configFor('SA_M', false, { time_step_limit: [0.001, 0.1] })],
    ['SAM, plain gate, no biases', configFor('SAM', false)],
    ['SAM, plain gate, every bias', configFor('SAM', true)],
  ];
  for (const [label, config] of cases) {
    for (const dtype of ['f32', 'bf16'] as const) {
      for (const withCache of [false, 'plain', 'documents'] as const) {
        if (dtype === 'bf16' && label !== cases[0]![0] && label !== cases[1]![0]) continue;
        const what = `${label}, ${dtype}${withCache ? `, through a hybrid cache${withCache === 'documents' ? ' with document ids' : ''}` : ''}`;
        it(`${what}: the layers' kernels in order, with and without inference constants`, () => {
          const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 21, dtype }));
          const ids = tensor(IDS, [1, IDS.length], 'i32');
          const run = (): void =>
            noGrad(() => {
              const cache = withCache ? model.createCache(1) : undefined;
              const seqIdx = withCache === 'documents' ? new Array<number>(IDS.length).fill(1) : undefined;
              model.forward(ids, { logitsToKeep: 1, cache, seqIdx }).logits.dispose();
              cache?.dispose();
            });
          const layers = model.model.layers.map((_, i) =>
            inferenceLayerKernels(config, i === 0, dtype === 'bf16', withCache),
          );
          if (dtype === 'f32' && !withCache) {
            log.length = 0;
            run();
            const plain = model.model.layers.map(() => plainLayerKernels(config));
            expect(log).toEqual(forwardKernels(plain.flat(), false));
            // Fewer kernels in every layer; no multiplier is a Scale any more.
            for (const [i, layer] of layers.entries()) {
              expect(layer.length).toBeLessThan(plain[i]!.length);
              expect(tally(layer).get('Scale')).toBeUndefined();
            }
          }
          model.prepareInference();
          log.length = 0;
          run();
          expect(log).toEqual(forwardKernels(layers.flat(), true));
          if (label.endsWith('(the 0.5B layer)') && !withCache) {
            // What the derivation gives for the published layer, spelled out (f32; bf16 adds the three Casts).
            const cast = dtype === 'bf16' ? ['Cast'] : [];
            const ssm = ['Slice', 'Slice', 'Slice', ...cast, 'Add', 'Softplus', 'CausalConv1d'];
            const scan = ['Slice', 'Slice', 'Slice', 'SsmScan', ...cast, 'SwiGlu', ...cast];
            const rest = [
              ...ssm,
              ...scan,
              ...['Slice', 'Slice', 'Slice', 'Rope', 'Rope', 'Attention', 'Concat', 'MatMul'],
              'AddRmsNormSwiGluMlp',
            ];
            expect(layers).toEqual([
              ['RmsNorm', 'MatMul', ...rest],
              ['AddRmsNormMatMul', ...rest],
            ]);
            expect(layers[1]!.length).toBe(dtype === 'bf16' ? 24 : 21);
            // The plain layer (f32): 43 kernels (ssm_in_multiplier on the μP segments' Scales: in_proj has no bias).
            expect(plainLayerKernels(config).length).toBe(43);
          }
          model.dispose();
          ids.dispose();
        });
      }
    }
  }
});
