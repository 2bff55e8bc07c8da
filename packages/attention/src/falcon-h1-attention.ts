/**
 * FalconH1Attention: grouped-query self-attention as transformers' `FalconH1Attention` computes it.
 *
 *   q = q_proj(x)                     [B, T, Hq,  Dh]
 *   k = k_proj(x) · key_multiplier    [B, T, Hkv, Dh]     the only difference from Llama's attention
 *   v = v_proj(x)                     [B, T, Hkv, Dh]
 *   q, k = RoPE(q), RoPE(k)           NeoX "rotate half" over all of Dh, base θ, at `positions`
 *   (k, v) = KV cache ++ (k, v)       keys enter the cache after the multiplier and RoPE
 *   o = softmax(q·kᵀ / √Dh, causal [and same document]) · v      query head h reads KV head h // (Hq/Hkv)
 *   out = o_proj(o)
 *
 * `attention_in_multiplier` and `attention_out_multiplier` are applied around this module by the decoder layer.
 * With document ids, a query sees only keys of its own document (block-diagonal causal mask) and the caller gives
 * positions that restart per document (see document-positions.ts).
 */
import { attention, linear, reshape, rope, scale, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import type { AttentionCache } from './attention-cache.js';
import type { FalconH1AttentionConfig } from './attention-config.js';
import { attentionParameterShapes, type ParameterProvider } from './attention-parameters.js';

export interface AttentionForwardOptions {
  /** i32 [B, T]: the RoPE position of every token. */
  positions: Tensor;
  /** i32 [B, T] document ids: block-diagonal masking (with the cache's key ids when there is a cache). */
  seqIdx?: Tensor;
  /** Earlier positions; the new keys and values are appended to it (`KVCache`, or `StaticKVCache` when decoding). */
  cache?: AttentionCache;
}

interface Projection {
  weight: Variable;
  bias?: Variable;
}

export class FalconH1Attention {
  readonly config: FalconH1AttentionConfig;
  readonly q_proj: Projection;
  readonly k_proj: Projection;
  readonly v_proj: Projection;
  readonly o_proj: Projection;
  /** 1/√head_dim */
  readonly scaling: number;

  constructor(config: FalconH1AttentionConfig, parameter: ParameterProvider) {
    if (config.num_attention_heads % config.num_key_value_heads !== 0) {
      throw new Error(
        `FalconH1Attention: ${config.num_attention_heads} query heads cannot share ${config.num_key_value_heads} KV heads`,
      );
    }
    this.config = config;
    const p: Record<string, Variable> = {};
    for (const { name, shape } of attentionParameterShapes(config)) p[name] = parameter(name, shape);
    const projection = (name: string): Projection => ({ weight: p[`${name}.weight`]!, bias: p[`${name}.bias`] });
    this.q_proj = projection('q_proj');
    this.k_proj = projection('k_proj');
    this.v_proj = projection('v_proj');
    this.o_proj = projection('o_proj');
    this.scaling = 1 / Math.sqrt(config.head_dim);
  }

  /** x [B, T, D] → [B, T, D]. */
  forward(x: Tensor, options: AttentionForwardOptions): Tensor {
    const { hidden_size: d, num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = this.config;
    if (x.rank !== 3 || x.shape[2] !== d) {
      throw new Error(`FalconH1Attention: hidden states must be [B, T, ${d}], got [${x.shape.join(', ')}]`);
    }
    const [b, t] = x.shape as [number, number, number];
    const theta = this.config.rope_parameters.rope_theta;
    const q = rope(reshape(linear(x, this.q_proj.weight, this.q_proj.bias), [b, t, hq, dh]), options.positions, theta);
    const kProjected = scale(linear(x, this.k_proj.weight, this.k_proj.bias), this.config.key_multiplier);
    const k = rope(reshape(kProjected, [b, t, hkv, dh]), options.positions, theta);
    const v = reshape(linear(x, this.v_proj.weight, this.v_proj.bias), [b, t, hkv, dh]);
    const all = options.cache
      ? options.cache.append(k, v, options.seqIdx)
      : { keys: k, values: v, keySeqIdx: options.seqIdx };
    const o = attention(q, all.keys, all.values, {
      scale: this.scaling,
      causal: true,
      qSeqIdx: options.seqIdx,
      kSeqIdx: all.keySeqIdx,
    });
    return linear(reshape(o, [b, t, hq * dh]), this.o_proj.weight, this.o_proj.bias);
  }
}
