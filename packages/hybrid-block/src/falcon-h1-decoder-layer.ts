/**
 * FalconH1DecoderLayer: one Falcon-H1 layer — the Mamba2 mixer and attention in parallel on one shared pre-norm,
 * each scaled by its μP multipliers, then the gated MLP (the published SA_M layout; SAM and S_A_M for ablations,
 * see block-layout.ts). Parameter names follow transformers: `input_layernorm`, `mamba.*`, `self_attn.*`,
 * `pre_ff_layernorm`, `feed_forward.*`.
 *
 *   S(x) = ssm_out_multiplier · mamba(x)                      (mamba applies ssm_in_multiplier itself)
 *   A(x) = attention_out_multiplier · self_attn(attention_in_multiplier · x)
 */
import {
  type AttentionCache,
  type AttentionForwardOptions,
  attentionParameterShapes,
  FalconH1Attention,
  StaticKVCache,
} from '@falcon-h1/attention';
import {
  add,
  concat,
  type DType,
  linear,
  parallelMixersDecodeStep,
  reshape,
  scale,
  type Tensor,
} from '@falcon-h1/core-tensor';
import {
  type DecodeProjection,
  FalconH1Mixer,
  type MambaLayerState,
  mixerParameterShapes,
  type ParameterProvider,
  type ParameterShape,
} from '@falcon-h1/mamba2';
import { type BlockLayout, layoutNorms } from './block-layout.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1MLP, type MlpDecodeConstants, mlpParameterShapes } from './falcon-h1-mlp.js';
import { FalconH1RMSNorm, type PendingResidual } from './falcon-h1-rms-norm.js';
import {
  type LayerDecodeConstants,
  type LayerDecodeConstantsOptions,
  layerDecodeConstants,
} from './layer-decode-constants.js';

/**
 * What a layer reads and updates between calls: the attention cache (`KVCache` in the hybrid cache, `StaticKVCache`
 * in captured decode steps) and the Mamba2 state.
 */
export interface DecoderLayerCache {
  readonly kv: AttentionCache;
  mamba: MambaLayerState | undefined;
  /**
   * What one-token steps derive from the layer's parameters, made once per generation (`decodeConstants`); the
   * static decoder and generate() give them.
   */
  readonly decodeConstants?: LayerDecodeConstants;
}

/** What every layer of one forward call shares. */
export interface LayerContext {
  /** i32 [B, T] RoPE positions. */
  positions: Tensor;
  /** i32 [B, T] document ids (packed rows, left padding). */
  seqIdx?: Tensor;
  /** This layer's cache, updated in place. */
  cache?: DecoderLayerCache;
  /**
   * Replaces this layer's Mamba2 state in the cache. A step on a state updated in place (`inPlaceMambaState`, the
   * static decoder's) hands back that same state, already updated: such a cache needs no callback.
   */
  setMambaState?(state: MambaLayerState): void;
}

/** Parameters of one layer, relative to `model.layers.N.`. */
export function decoderLayerParameterShapes(config: FalconH1Config): ParameterShape[] {
  const prefixed = (prefix: string, shapes: ParameterShape[]): ParameterShape[] =>
    shapes.map((s) => ({ name: `${prefix}${s.name}`, shape: s.shape }));
  return [
    ...layoutNorms(config.block_layout).map((name) => ({ name: `${name}.weight`, shape: [config.hidden_size] })),
    ...prefixed('mamba.', mixerParameterShapes(config)),
    ...prefixed('self_attn.', attentionParameterShapes(config)),
    ...prefixed('feed_forward.', mlpParameterShapes(config)),
  ];
}

export class FalconH1DecoderLayer {
  readonly layout: BlockLayout;
  readonly input_layernorm: FalconH1RMSNorm;
  readonly pre_attn_layernorm?: FalconH1RMSNorm;
  readonly pre_ff_layernorm?: FalconH1RMSNorm;
  readonly mamba: FalconH1Mixer;
  readonly self_attn: FalconH1Attention;
  readonly feed_forward: FalconH1MLP;
  readonly ssm_out_multiplier: number;
  readonly attention_in_multiplier: number;
  readonly attn_out_multiplier: number;

  constructor(config: FalconH1Config, parameter: ParameterProvider) {
    const within =
      (prefix: string): ParameterProvider =>
      (name, shape) =>
        parameter(`${prefix}${name}`, shape);
    this.layout = config.block_layout;
    const norm = (name: string): FalconH1RMSNorm =>
      new FalconH1RMSNorm(parameter(`${name}.weight`, [config.hidden_size]), config.rms_norm_eps);
    const norms = layoutNorms(this.layout);
    this.input_layernorm = norm('input_layernorm');
    if (norms.includes('pre_attn_layernorm')) this.pre_attn_layernorm = norm('pre_attn_layernorm');
    if (norms.includes('pre_ff_layernorm')) this.pre_ff_layernorm = norm('pre_ff_layernorm');
    this.mamba = new FalconH1Mixer(config, within('mamba.'));
    this.self_attn = new FalconH1Attention(config, within('self_attn.'));
    this.feed_forward = new FalconH1MLP(config, within('feed_forward.'));
    this.ssm_out_multiplier = config.ssm_out_multiplier;
    this.attention_in_multiplier = config.attention_in_multiplier;
    this.attn_out_multiplier = config.attention_out_multiplier;
  }

  /**
   * The tensors a decode step of this layer can precompute for activations of `dtype` (inference only: copies of
   * parameter-derived values; the caller disposes them with `disposeLayerDecodeConstants`).
   */
  decodeConstants(dtype: DType, options?: LayerDecodeConstantsOptions): LayerDecodeConstants {
    return layerDecodeConstants(this, dtype, options);
  }

  /** S(x): the scaled Mamba2 branch, through the cache's state when there is one. */
  ssmBranch(x: Tensor, context: LayerContext): Tensor {
    const cache = context.cache;
    let out: Tensor;
    if (!cache) {
      out = this.mamba.forward(x, { seqIdx: context.seqIdx }).out;
    } else if (cache.mamba && x.shape[1] === 1) {
      const constants = cache.decodeConstants?.mixer;
      const step = this.mamba.step(x, cache.mamba, constants);
      context.setMambaState?.(step.state);
      // With decode constants the step has applied ssm_out_multiplier itself (folded into its out_proj copy).
      if (constants) return step.out;
      out = step.out;
    } else {
      const result = this.mamba.forward(x, { seqIdx: context.seqIdx, state: cache.mamba, returnState: true });
      context.setMambaState?.(result.state!);
      out = result.out;
    }
    return scale(out, this.ssm_out_multiplier);
  }

  /** A(x): the scaled attention branch, appending to the cache's KV when there is one (the module folds both
   * multipliers into its own kernels where it can). */
  attentionBranch(x: Tensor, context: LayerContext): Tensor {
    return this.self_attn.forward(x, this.attentionOptions(context));
  }

  private attentionOptions(context: LayerContext): AttentionForwardOptions {
    return {
      positions: context.positions,
      seqIdx: context.seqIdx,
      cache: context.cache?.kv,
      inputMultiplier: this.attention_in_multiplier,
      outputMultiplier: this.attn_out_multiplier,
      // One-token steps over a static KV cache: the packed projection + fused AttentionDecodeStep.
      decodeConstants: context.cache?.decodeConstants?.attention,
    };
  }

  /** h [B, T, D] → [B, T, D]. */
  forward(h: Tensor, context: LayerContext): Tensor {
    // A one-token step after a prefill, with decode constants: the decode step, its closing residual add done here.
    if (this.decodesOneToken(h, context)) {
      const out = this.decodeStep(h, context);
      return add(out.residual, out.update);
    }
    const mlp = (x: Tensor): Tensor => this.feed_forward.forward(x);
    switch (this.layout) {
      case 'SA_M': {
        const n = this.input_layernorm.forward(h);
        const mixed = add(h, add(this.ssmBranch(n, context), this.attentionBranch(n, context)));
        return add(mixed, mlp(this.pre_ff_layernorm!.forward(mixed)));
      }
      case 'SAM': {
        const n = this.input_layernorm.forward(h);
        const branches = add(add(this.ssmBranch(n, context), this.attentionBranch(n, context)), mlp(n));
        return add(h, branches);
      }
      case 'S_A_M': {
        const h1 = add(h, this.ssmBranch(this.input_layernorm.forward(h), context));
        const h2 = add(h1, this.attentionBranch(this.pre_attn_layernorm!.forward(h1), context));
        return add(h2, mlp(this.pre_ff_layernorm!.forward(h2)));
      }
    }
  }

  /**
   * Whether `decodeStep` applies: one token after a prefill (the cache holds a Mamba2 state) with decode constants.
   * `h` may be a pending residual add ([B, 1, D] either way).
   */
  decodesOneToken(h: Tensor | PendingResidual, context: LayerContext): boolean {
    const cache = context.cache;
    const tokens = ('update' in h ? h.residual : h).shape[1];
    return cache?.mamba !== undefined && cache.decodeConstants !== undefined && tokens === 1;
  }

  /**
   * One token with decode constants (see `decodesOneToken`), the layer's output left as a pending residual add
   * (out = residual + update) for the norm that reads it next to fuse — the next layer's input_layernorm or the
   * model's final norm (FalconH1Model.decodeLayers) — and `h` may be the previous layer's pending add, fused here
   * with input_layernorm. Every residual add inside the layer that a norm reads is fused with it too (AddRmsNorm):
   *   SA_M   h' = h + S(n) + A(n), one merged MatMul for both branches; h' and pre_ff_layernorm(h') in one kernel
   *   SAM    n feeds the merged branches and the MLP; out = h + (S(n) + A(n) + M(n))
   *   S_A_M  h1 = h + S(n) fused with pre_attn_layernorm(h1), h2 = h1 + A(n1) with pre_ff_layernorm(h2)
   * The MLP runs gate_proj and up_proj as one packed projection read by SwiGluPacked, and its down projection comes
   * pre-scaled. In the static decoder's steps (constants with `branchesIn`) a bias-free projection is also fused
   * with the one kernel whose output only it reads: SA_M's input_layernorm (of a pending add) with [in_proj ;
   * q|k|v] (AddRmsNormMatMul), SAM's SwiGluPacked with down (SwiGluPackedMatMul), and SA_M's whole MLP with its
   * pre_ff_layernorm (AddRmsNormSwiGluMlp: AddRmsNormMatMul for gate|up, then SwiGluPackedMatMul). Same values as
   * the unfused layer: AddRmsNorm equals Add then RmsNorm, and each fused product equals the kernel before it
   * followed by MatMul.
   *
   * SA_M's kernels per step (SAM: input_layernorm and the gate|up projection apart — n feeds the branches and the
   * MLP —, no pre_ff norm, plus the Add of the MLP's output; a bias keeps that projection apart and adds an Add
   * after its MatMul):
   *   over a static KV cache (the static decoder: constants with `branchesIn`), 4:
   *     AddRmsNormMatMul (the pending add, input_layernorm, MatMul by [in_proj ; q|k|v]; the first layer, whose
   *     input is no pending add: RmsNorm · MatMul) · ParallelMixersDecodeStep (both mixers' steps in one kernel:
   *     the SSM step on its columns from 0, the conv and SSM states updated in place, and the attention step on
   *     q|k|v at in_proj's width, → [gated SSM output | heads]) · MatMul branchesOut · AddRmsNormSwiGluMlp
   *     (pre_ff_layernorm, MatMul gate|up, SwiGluPacked, MatMul down).
   *     The gated-RMSNorm configs (and constants made with `parallelMixers: false`) run the two steps apart, 6 (or
   *     more): SsmDecodeStepInPlace (y ungated with the norm) · for the norm the Slice of z and RmsNormGated, plus
   *     two Casts for 16-bit activations · AttentionDecodeStep (prefix = the gated SSM output)
   *   through the hybrid cache (generate()), attention unfused: AddRmsNorm · MatMul in_proj · SsmDecodeStep · the
   *     attention's own kernels · Concat · MatMul branchesOut · AddRmsNorm · the MLP's three (MatMul gate|up ·
   *     SwiGluPacked · MatMul down)
   */
  decodeStep(h: Tensor | PendingResidual, context: LayerContext): PendingResidual {
    if (!this.decodesOneToken(h, context)) {
      throw new Error(
        'FalconH1DecoderLayer.decodeStep: needs one token ([B, 1, D]) after a prefill, with decode constants in the layer cache',
      );
    }
    const cache = context.cache!;
    const constants = cache.decodeConstants!;
    // The static decoder's SA_M and SAM steps (constants with `branchesIn`) also fuse each bias-free projection with
    // the one kernel whose output it alone reads: the MLP's SwiGluPacked with down_proj, and (SA_M) a pending add's
    // norm with the projection of that norm. generate()'s steps keep them apart.
    const fusesProjections = constants.branchesIn !== undefined;
    if (!constants.branchesOut) {
      const mlpConstants: MlpDecodeConstants = { gateUp: constants.mlpGateUp, scaledDown: constants.mlpDown };
      const mlp = (x: Tensor): Tensor => this.feed_forward.forward(x, mlpConstants, { fuseDown: fusesProjections });
      // S_A_M: sequential branches, each residual add fused with the norm of the next block.
      const { sum: x, normed: n } = this.input_layernorm.forwardResidual(h);
      const s = this.ssmBranch(n, context);
      const attn = this.pre_attn_layernorm!.forwardResidual({ residual: x, update: s });
      const a = this.attentionBranch(attn.normed, context);
      const ff = this.pre_ff_layernorm!.forwardResidual({ residual: attn.sum, update: a });
      return { residual: ff.sum, update: mlp(ff.normed) };
    }
    // SA_M and SAM: S(n) + A(n) as one MatMul of [gated SSM output ; attention heads] by the merged, pre-scaled
    // out_proj | o_proj (layer-decode-constants.ts).
    const branchesIn = constants.branchesIn;
    if (branchesIn) {
      const { x, n, projected } = this.projectBranchesInput(h, branchesIn);
      return this.closeParallelBranches(x, n, this.projectedBranches(projected, context), constants, true);
    }
    const { sum: x, normed: n } = this.input_layernorm.forwardResidual(h);
    return this.closeParallelBranches(x, n, this.separateBranches(n, context), constants, false);
  }

  /**
   * SA_M and SAM: the residual stream x (h, or a pending add done), input_layernorm's n where something else than
   * the merged projection reads it (SAM's MLP, or a projection with a bias), and n by [in_proj ; q|k|v]. In SA_M
   * without a bias, n feeds only that projection: the pending add, the norm and the product in one kernel
   * (AddRmsNormMatMul), n never stored.
   */
  private projectBranchesInput(
    h: Tensor | PendingResidual,
    branchesIn: DecodeProjection,
  ): { x: Tensor; n?: Tensor; projected: Tensor } {
    if (this.layout === 'SA_M' && !branchesIn.bias && 'update' in h) {
      const fused = this.input_layernorm.forwardResidualProjected(h, branchesIn.weight);
      return { x: fused.sum, projected: fused.y };
    }
    const { sum: x, normed: n } = this.input_layernorm.forwardResidual(h);
    return { x, n, projected: linear(n, branchesIn.weight, branchesIn.bias) };
  }

  /**
   * The end of an SA_M or SAM layer with constants, after its branches: [gated SSM output | heads] by the merged
   * out-projection, then the MLP (SA_M: pre_ff_layernorm of the pending h + branches; SAM: of n, added to the
   * branches), the layer's output left as a pending residual add. `fusesProjections`: each bias-free projection that
   * alone reads a norm or SwiGluPacked runs fused with it (SA_M: the norm and the whole MLP as AddRmsNormSwiGluMlp;
   * SAM: SwiGluPackedMatMul).
   */
  private closeParallelBranches(
    x: Tensor,
    n: Tensor | undefined,
    gatedAndHeads: Tensor,
    constants: LayerDecodeConstants,
    fusesProjections: boolean,
  ): PendingResidual {
    const mlpConstants: MlpDecodeConstants = { gateUp: constants.mlpGateUp, scaledDown: constants.mlpDown };
    const mlp = (normed: Tensor): Tensor =>
      this.feed_forward.forward(normed, mlpConstants, { fuseDown: fusesProjections });
    const branches = linear(gatedAndHeads, constants.branchesOut!.weight, constants.branchesOut!.bias);
    if (this.layout === 'SAM') return { residual: x, update: add(branches, mlp(n!)) };
    const stream: PendingResidual = { residual: x, update: branches };
    // gate|up and down have biases together or not at all (config.mlp_bias).
    if (fusesProjections && !constants.mlpGateUp.bias) {
      // pre_ff_layernorm's output feeds only the MLP, bias-free: the add, the norm and the MLP as one fused op.
      const ff = this.feed_forward.fromPendingResidual(stream, this.pre_ff_layernorm!, mlpConstants);
      return { residual: ff.sum, update: ff.y };
    }
    const ff = this.pre_ff_layernorm!.forwardResidual(stream);
    return { residual: ff.sum, update: mlp(ff.normed) };
  }

  /**
   * The layer with inference constants (`InferenceConstants`, inference-constants.ts), for a call of any length —
   * a prefill, or a call whose cache has no decode constants of its own — while no gradient tape records
   * (FalconH1Model.forward decides). As `decodeStep`, `h` may be the previous layer's pending residual add and the
   * output is one (the next norm fuses it). SA_M and SAM (constants with `branchesIn`):
   *   SA_M  AddRmsNormMatMul (the pending add, input_layernorm, MatMul by [in_proj ; q|k|v]; the first layer:
   *         RmsNorm · MatMul) · the SSM branch on the row's first columns (FalconH1Mixer.forwardProjected: three
   *         Slices, CausalConv1d, three Slices, Add and Softplus of dt, SsmScan, the gate; with the conv and SSM
   *         states when there is a cache) · the attention branch on its q|k|v columns (FalconH1Attention.
   *         attendProjected: three Slices, two Ropes, the KV cache append, Attention) · Concat [gated SSM output |
   *         heads] · MatMul by [out_proj | o_proj] · AddRmsNormSwiGluMlp (pre_ff_layernorm, gate|up, SwiGluPacked,
   *         down) — 21 kernels in f32 with the plain gate and no biases (the plain layer on
   *         the 0.5B's config: 44), plus three Casts in 16-bit (dt, z, the gated output; plain: 50); a bias keeps
   *         its projection apart from the norm and adds its Add (test/prefill-kernels.test.ts derives the lists)
   *   SAM   the same but input_layernorm and gate|up apart (n feeds the branches and the MLP) and the MLP's Add
   * No multiplier is a kernel: they are in the constants' weights and the attention kernel's scale. The same values
   * as `forward` up to rounding. S_A_M (sequential branches: no merged projections) runs `forward`.
   */
  inferenceForward(
    h: Tensor | PendingResidual,
    context: LayerContext,
    constants: LayerDecodeConstants,
  ): Tensor | PendingResidual {
    const branchesIn = constants.branchesIn;
    if (!branchesIn || !constants.branchesOut)
      return this.forward('update' in h ? add(h.residual, h.update) : h, context);
    const { x, n, projected } = this.projectBranchesInput(h, branchesIn);
    const cache = context.cache;
    const ssm = this.mamba.forwardProjected(projected, constants.mixer, {
      seqIdx: context.seqIdx,
      state: cache?.mamba,
      returnState: cache !== undefined,
    });
    if (ssm.state) context.setMambaState?.(ssm.state);
    const heads = this.self_attn.attendProjected(projected, this.attentionOptions(context), {
      offset: this.mamba.sizes.projectionWidth, // q|k|v come after in_proj's columns
    });
    return this.closeParallelBranches(x, n, concat([ssm.gated, heads], -1), constants, true);
  }

  /**
   * The parallel branches' [gated SSM output | attention heads] [B, 1, d_ssm + Hq·Dh] from ONE projection [B, 1, W]
   * of n by [in_proj ; q|k|v]: the SSM step reads the row's first columns (and updates an in-place state where the
   * cache holds one), the attention step its q|k|v after in_proj's width and writes the gated SSM output in front of
   * the heads — the merged out-projection's input, no Concat. The two steps share nothing but the row and the
   * output (disjoint states): where the mixer can hand its step over whole (an in-place state, the plain y·silu(z)
   * gate) and the constants ask for it (`parallelMixers`), both run as ONE kernel, core's ParallelMixersDecodeStep,
   * which a backend may run side by side; otherwise one after the other, SsmDecodeStepInPlace (or SsmDecodeStep and
   * the gated norm) then AttentionDecodeStep. The same values either way.
   */
  private projectedBranches(projected: Tensor, context: LayerContext): Tensor {
    const cache = context.cache!;
    if (!(cache.kv instanceof StaticKVCache)) {
      throw new Error(
        'FalconH1DecoderLayer.decodeStep: decode constants made with staticCache need a StaticKVCache in the layer cache',
      );
    }
    const b = projected.shape[0]!;
    const row = reshape(projected, [b, projected.shape[2]!]);
    const constants = cache.decodeConstants!;
    const state = cache.mamba!;
    const attention = this.attentionOptions(context);
    const offset = this.mamba.sizes.projectionWidth; // q|k|v come after in_proj's columns
    const ssmStep = constants.parallelMixers ? this.mamba.inPlaceStepInputs(row, state, constants.mixer) : undefined;
    let both: Tensor;
    if (ssmStep) {
      const attentionStep = this.self_attn.beginProjectedStep(attention, { offset });
      both = parallelMixersDecodeStep(
        { qkv: row, ssm: ssmStep.inputs, attention: attentionStep.inputs },
        { ssm: ssmStep.options, attention: attentionStep.options },
      );
      // Updated in place by the kernel: the state is its own next state (as stepProjected returns it).
      context.setMambaState?.(state);
    } else {
      const ssm = this.mamba.stepProjected(row, state, constants.mixer);
      context.setMambaState?.(ssm.state);
      both = this.self_attn.attendProjectedStep(row, attention, { offset, prefix: ssm.gated });
    }
    return reshape(both, [b, 1, both.shape[1]!]);
  }

  /** [gated SSM output | attention heads] from each branch's own projection of n, then a Concat. */
  private separateBranches(n: Tensor, context: LayerContext): Tensor {
    const cache = context.cache!;
    const ssm = this.mamba.stepGated(n, cache.mamba!, cache.decodeConstants!.mixer);
    context.setMambaState?.(ssm.state);
    return concat([ssm.gated, this.self_attn.attend(n, this.attentionOptions(context))], -1);
  }
}
