/**
 * Inference constants: every layer's decode constants (layer-decode-constants.ts, made as the static decoder makes
 * them — μP multipliers folded into weight copies, [in_proj ; q|k|v] stacked into one projection and out_proj |
 * o_proj merged for SA_M and SAM, gate_proj | up_proj packed, down_proj pre-scaled, f32 dt_bias/A/D) made ONCE per
 * model, and read by every inference forward pass: a multi-token call (prefill) runs each SA_M or SAM layer as
 *   AddRmsNorm(MatMul) · ONE MatMul [in_proj ; q|k|v] · the SSM branch on its columns (conv, scan, gate: no Scale) ·
 *   the attention branch on its q|k|v columns · Concat · ONE MatMul [out_proj | o_proj] · AddRmsNormSwiGluMlp
 *   (pre_ff_layernorm, gate|up, SwiGluPacked, down)
 * instead of the plain layer's ~45 kernels (FalconH1DecoderLayer.inferenceForward), and the static decoder borrows
 * the same constants for its steps instead of making a copy per generation. A prefill is host-bound on a GPU (each
 * kernel costs its dispatch), so halving the kernels nearly halves its time there.
 *
 * Inference only: the constants are COPIES of parameter-derived values. A forward pass uses them only while no
 * gradient tape records (training differentiates the plain parameters and keeps its numerics), and they describe the
 * weights as they were when made (`FalconH1ForCausalLM.prepareInference`):
 *   - a parameter whose buffer is replaced (`Variable.assign`, e.g. loading other weights into the model) is seen
 *     by the model's next forward pass, which rebuilds them first (FalconH1ForCausalLM.inferenceConstants);
 *   - a parameter updated IN PLACE (an optimizer step such as AdamW, `overwrite`) keeps its buffer and cannot be
 *     seen: whoever does that calls `prepareInference()` again (or `releaseInference()`) before the next inference.
 * Memory: one copy of every layer weight but the norms (for the 0.5B in bf16 ~22.5 MiB per layer), freed by
 * `disposeInferenceConstants` / `releaseInference`. Results equal the plain forward up to rounding (each multiplier
 * rounded once into its weight).
 */
import { type DType, ENGINE, noGrad } from '@falcon-h1/core-tensor';
import type { FalconH1DecoderLayer } from './falcon-h1-decoder-layer.js';
import {
  disposeLayerDecodeConstants,
  type LayerDecodeConstants,
  type LayerDecodeConstantsOptions,
} from './layer-decode-constants.js';

export interface InferenceConstants {
  /** The activations' dtype they were made for (the model's). */
  readonly dtype: DType;
  /** Per layer, in order. */
  readonly layers: readonly LayerDecodeConstants[];
}

/**
 * The inference constants of `layers` for activations of `dtype`: each layer's decode constants with `staticCache`
 * (the merged input projection of SA_M and SAM, the packed q|k|v of S_A_M), made with no tape recording. The
 * caller owns them (`disposeInferenceConstants`).
 */
export function modelInferenceConstants(
  layers: readonly FalconH1DecoderLayer[],
  dtype: DType,
  options: Omit<LayerDecodeConstantsOptions, 'staticCache'> = {},
): InferenceConstants {
  const made: LayerDecodeConstants[] = [];
  try {
    noGrad(() => {
      for (const layer of layers) made.push(layer.decodeConstants(dtype, { ...options, staticCache: true }));
    });
  } catch (error) {
    for (const constants of made) disposeLayerDecodeConstants(constants);
    throw error;
  }
  return { dtype, layers: made };
}

export function disposeInferenceConstants(constants: InferenceConstants): void {
  for (const layer of constants.layers) disposeLayerDecodeConstants(layer);
}

/**
 * Whether a gradient tape is recording now (inside `vjp`/`valueAndGrads`, or a checkpoint's probe): forward passes
 * then run the plain parameters, whose gradients the tape wants, never inference constants.
 */
export function gradientTapeRecording(): boolean {
  return ENGINE.tapes.length > 0;
}
