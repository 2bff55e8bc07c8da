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
} from '@falcon-h1/attention';
import { add, concat, type DType, linear, scale, type Tensor } from '@falcon-h1/core-tensor';
import {
  FalconH1Mixer,
  type MambaLayerState,
  mixerParameterShapes,
  type ParameterProvider,
  type ParameterShape,
} from '@falcon-h1/mamba2';
import { type BlockLayout, layoutNorms } from './block-layout.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1MLP, mlpParameterShapes } from './falcon-h1-mlp.js';
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
  /** Replaces this layer's Mamba2 state in the cache. */
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
   * pre-scaled. Same values as the unfused layer: AddRmsNorm equals Add then RmsNorm.
   */
  decodeStep(h: Tensor | PendingResidual, context: LayerContext): PendingResidual {
    if (!this.decodesOneToken(h, context)) {
      throw new Error(
        'FalconH1DecoderLayer.decodeStep: needs one token ([B, 1, D]) after a prefill, with decode constants in the layer cache',
      );
    }
    const cache = context.cache!;
    const constants = cache.decodeConstants!;
    const mlp = (x: Tensor): Tensor =>
      this.feed_forward.forward(x, { gateUp: constants.mlpGateUp, scaledDown: constants.mlpDown });
    const { sum: x, normed: n } = this.input_layernorm.forwardResidual(h);
    if (!constants.branchesOut) {
      // S_A_M: sequential branches, each residual add fused with the norm of the next block.
      const s = this.ssmBranch(n, context);
      const attn = this.pre_attn_layernorm!.forwardResidual({ residual: x, update: s });
      const a = this.attentionBranch(attn.normed, context);
      const ff = this.pre_ff_layernorm!.forwardResidual({ residual: attn.sum, update: a });
      return { residual: ff.sum, update: mlp(ff.normed) };
    }
    // SA_M and SAM: S(n) + A(n) as one MatMul of [gated SSM output ; attention heads] by the merged, pre-scaled
    // out_proj | o_proj (layer-decode-constants.ts).
    const ssm = this.mamba.stepGated(n, cache.mamba!, constants.mixer);
    context.setMambaState?.(ssm.state);
    const heads = this.self_attn.attend(n, this.attentionOptions(context));
    const branches = linear(concat([ssm.gated, heads], -1), constants.branchesOut.weight, constants.branchesOut.bias);
    if (this.layout === 'SAM') return { residual: x, update: add(branches, mlp(n)) };
    const ff = this.pre_ff_layernorm!.forwardResidual({ residual: x, update: branches });
    return { residual: ff.sum, update: mlp(ff.normed) };
  }
}
