/**
 * FalconH1DecoderLayer: one Falcon-H1 layer — the Mamba2 mixer and attention in parallel on one shared pre-norm,
 * each scaled by its μP multipliers, then the gated MLP (the published SA_M layout; SAM and S_A_M for ablations,
 * see block-layout.ts). Parameter names follow transformers: `input_layernorm`, `mamba.*`, `self_attn.*`,
 * `pre_ff_layernorm`, `feed_forward.*`.
 *
 *   S(x) = ssm_out_multiplier · mamba(x)                      (mamba applies ssm_in_multiplier itself)
 *   A(x) = attention_out_multiplier · self_attn(attention_in_multiplier · x)
 */
import { type AttentionCache, attentionParameterShapes, FalconH1Attention } from '@falcon-h1/attention';
import { add, type DType, scale, type Tensor } from '@falcon-h1/core-tensor';
import {
  FalconH1Mixer,
  type MambaLayerState,
  type MixerDecodeConstants,
  mixerDecodeConstants,
  mixerParameterShapes,
  type ParameterProvider,
  type ParameterShape,
} from '@falcon-h1/mamba2';
import { type BlockLayout, layoutNorms } from './block-layout.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1MLP, mlpParameterShapes } from './falcon-h1-mlp.js';
import { FalconH1RMSNorm } from './falcon-h1-rms-norm.js';

/**
 * What a layer reads and updates between calls: the attention cache (`KVCache` in the hybrid cache, `StaticKVCache`
 * in captured decode steps) and the Mamba2 state.
 */
export interface DecoderLayerCache {
  readonly kv: AttentionCache;
  mamba: MambaLayerState | undefined;
  /**
   * What decode steps derive from the mixer's parameters, made once per generation (`decodeConstants`); the
   * static decoder gives them, with ssm_out_multiplier as their output multiplier.
   */
  readonly mixerConstants?: MixerDecodeConstants;
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
   * parameter-derived values; the caller disposes them with `disposeMixerDecodeConstants`).
   */
  decodeConstants(dtype: DType): MixerDecodeConstants {
    return mixerDecodeConstants(this.mamba, dtype, this.ssm_out_multiplier);
  }

  /** S(x): the scaled Mamba2 branch, through the cache's state when there is one. */
  ssmBranch(x: Tensor, context: LayerContext): Tensor {
    const cache = context.cache;
    let out: Tensor;
    if (!cache) {
      out = this.mamba.forward(x, { seqIdx: context.seqIdx }).out;
    } else if (cache.mamba && x.shape[1] === 1) {
      const step = this.mamba.step(x, cache.mamba, cache.mixerConstants);
      context.setMambaState?.(step.state);
      // With decode constants the step has applied ssm_out_multiplier itself (folded into its norm weight).
      if (cache.mixerConstants) return step.out;
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
    return this.self_attn.forward(x, {
      positions: context.positions,
      seqIdx: context.seqIdx,
      cache: context.cache?.kv,
      inputMultiplier: this.attention_in_multiplier,
      outputMultiplier: this.attn_out_multiplier,
    });
  }

  /** h [B, T, D] → [B, T, D]. */
  forward(h: Tensor, context: LayerContext): Tensor {
    switch (this.layout) {
      case 'SA_M': {
        const n = this.input_layernorm.forward(h);
        const mixed = add(h, add(this.ssmBranch(n, context), this.attentionBranch(n, context)));
        return add(mixed, this.feed_forward.forward(this.pre_ff_layernorm!.forward(mixed)));
      }
      case 'SAM': {
        const n = this.input_layernorm.forward(h);
        const branches = add(
          add(this.ssmBranch(n, context), this.attentionBranch(n, context)),
          this.feed_forward.forward(n),
        );
        return add(h, branches);
      }
      case 'S_A_M': {
        const h1 = add(h, this.ssmBranch(this.input_layernorm.forward(h), context));
        const h2 = add(h1, this.attentionBranch(this.pre_attn_layernorm!.forward(h1), context));
        return add(h2, this.feed_forward.forward(this.pre_ff_layernorm!.forward(h2)));
      }
    }
  }
}
