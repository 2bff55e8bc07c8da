/**
 * Kernel-list helpers shared by the tests that lock which kernels a step or a prefill dispatches: a recording
 * wrapper around the reference backend (the engine runs each kernel through it; the reference kernels compute
 * everything) and the small pieces every derived list is made of.
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference/base';
import type { Backend } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from '../src/index.js';

/** The reference backend, noting the name of every kernel it runs. */
export function recordingReference(log: string[]): Backend {
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
export const linear = (bias: boolean): string[] => (bias ? ['MatMul', 'Add'] : ['MatMul']);

/** SwiGluPacked and the bias-free down projection fused; with a bias, apart (and its Add). */
export const mlpDown = (config: FalconH1Config): string[] =>
  config.mlp_bias ? ['SwiGluPacked', ...linear(true)] : ['SwiGluPackedMatMul'];

/**
 * A norm and the projection that alone reads it: one AddRmsNormMatMul where the norm's input is a pending add and
 * the projection has no bias; otherwise the norm (`norm`), then the projection.
 */
export const normedProjection = (norm: string, bias: boolean): string[] =>
  norm === 'AddRmsNorm' && !bias ? ['AddRmsNormMatMul'] : [norm, ...linear(bias)];

/**
 * SA_M's MLP after its pending add: bias-free, the add, pre_ff_layernorm and the whole MLP as one
 * AddRmsNormSwiGluMlp; with biases, the norm, the gate|up projection and the down projection apart.
 */
export const saMlp = (config: FalconH1Config): string[] =>
  config.mlp_bias ? [...normedProjection('AddRmsNorm', true), ...mlpDown(config)] : ['AddRmsNormSwiGluMlp'];

/** The first layer normalises the embeddings; every later one adds the previous layer's pending residual first. */
export const inputNorm = (first: boolean): string => (first ? 'RmsNorm' : 'AddRmsNorm');

/** The merged input projection [in_proj ; q|k|v] has a bias where either has one (zeros for the other). */
export const inBias = (config: FalconH1Config): boolean => config.mamba_proj_bias || config.attention_bias;

/** The merged out-projection [out_proj | o_proj] has a bias where either has one. */
export const outBias = (config: FalconH1Config): boolean => config.projectors_bias || config.attention_bias;

export const tally = (names: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
};

/**
 * An SA_M or SAM layer with constants around its branches' kernels (`branches`: from the merged projection's output
 * to the merged out-projection, FalconH1DecoderLayer's projectBranchesInput and closeParallelBranches).
 */
export function parallelLayer(config: FalconH1Config, first: boolean, branches: readonly string[]): string[] {
  if (config.block_layout === 'SA_M') {
    // n feeds only [in_proj ; q|k|v], pre_ff's norm only gate|up: each fused with it where it has no bias.
    return [...normedProjection(inputNorm(first), inBias(config)), ...branches, ...saMlp(config)];
  }
  // SAM: n feeds the branches and the MLP, whose output is added to the branches'.
  return [
    inputNorm(first),
    ...linear(inBias(config)),
    ...branches,
    ...linear(config.mlp_bias),
    ...mlpDown(config),
    'Add',
  ];
}
