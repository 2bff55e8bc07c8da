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
 * `attention_in_multiplier` and `attention_out_multiplier` are given by the decoder layer (`inputMultiplier`,
 * `outputMultiplier`). Without q/k/v biases every multiplier is folded where it costs no kernel of its own (decoding
 * is launch-bound: a Scale per multiplier was a fifth of a layer's kernels): with m = attention_in_multiplier,
 *   q·kᵀ of (m·x) with the key multiplier = (m²·key_multiplier) · q·kᵀ of x      → the attention kernel's scale
 *   softmax(...)·v of (m·x) = m · softmax(...)·v of x                            → one Scale after o_proj, by m·out
 * so the cache then holds keys without the key multiplier and values of x (the same for every call of a model;
 * results equal the unfolded formula up to rounding). With biases the multipliers are applied as written above.
 * With document ids, a query sees only keys of its own document (block-diagonal causal mask) and the caller gives
 * positions that restart per document (see document-positions.ts).
 *
 * One token over a `StaticKVCache` with decode constants (attention-decode-constants.ts: q_proj | k_proj | v_proj
 * packed, multipliers folded the same way): one MatMul and one fused `AttentionDecodeStep` (RoPE, the cache write,
 * the attention over every slot), the same values as the path above up to rounding. `attendProjectedStep` is that
 * step without the MatMul: the caller projected the token itself (the packed q|k|v columns of a wider row) and may
 * give a prefix that the kernel writes in front of the heads (the decoder layer's gated SSM output, which its merged
 * out-projection reads with the heads: no Concat); `beginProjectedStep` is that step up to its kernel, for a caller
 * whose own fused kernel runs it beside another step (the decoder layer's one kernel for both mixers).
 * `attendProjected` is `attend` over a whole sequence from a caller's packed projection (the decoder layer's prefill
 * with inference constants: q|k|v sliced from the merged [in_proj ; q|k|v] row, then RoPE, the cache, attention).
 */
import {
  type AttentionDecodeStepOptions,
  attention,
  attentionDecodeStep,
  linear,
  reshape,
  rope,
  scale,
  sliceAxis,
  type Tensor,
  type Variable,
} from '@falcon-h1/core-tensor';
import type { AttentionCache } from './attention-cache.js';
import type { FalconH1AttentionConfig } from './attention-config.js';
import type { AttentionDecodeConstants } from './attention-decode-constants.js';
import { attentionParameterShapes, type ParameterProvider } from './attention-parameters.js';
import { StaticKVCache, type StaticStepInputs } from './static-kv-cache.js';

export interface AttentionForwardOptions {
  /** i32 [B, T]: the RoPE position of every token. */
  positions: Tensor;
  /** i32 [B, T] document ids: block-diagonal masking (with the cache's key ids when there is a cache). */
  seqIdx?: Tensor;
  /** Earlier positions; the new keys and values are appended to it (`KVCache`, or `StaticKVCache` when decoding). */
  cache?: AttentionCache;
  /** attention_in_multiplier: the module attends over inputMultiplier · x (default 1). */
  inputMultiplier?: number;
  /** attention_out_multiplier: the output is multiplied by it (default 1). */
  outputMultiplier?: number;
  /**
   * The packed projection made once per generation (`attentionDecodeConstants`, for this `inputMultiplier`): used
   * by one-token calls over a `StaticKVCache`, ignored by every other call.
   */
  decodeConstants?: AttentionDecodeConstants;
}

/**
 * One step over a static KV cache, its cache bookkeeping done, as `beginProjectedStep` hands it to the caller's
 * kernel: AttentionDecodeStep's inputs but the projected row and the prefix, and its options.
 */
export interface StaticStepKernel {
  readonly inputs: StaticStepInputs;
  readonly options: AttentionDecodeStepOptions;
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
    const out = linear(this.attend(x, options), this.o_proj.weight, this.o_proj.bias);
    const multiplier = this.outputScale(options);
    return multiplier === 1 ? out : scale(out, multiplier);
  }

  /**
   * Everything before o_proj: x [B, T, D] → the attention output of every head, [B, T, Hq·Dh];
   * `forward(x) = outputScale · o_proj(attend(x))`. For a caller that folds o_proj and the scale into a projection
   * of its own (the decoder layer's decode step merges o_proj with the mixer's out_proj into one MatMul).
   */
  attend(x: Tensor, options: AttentionForwardOptions): Tensor {
    const d = this.config.hidden_size;
    if (x.rank !== 3 || x.shape[2] !== d) {
      throw new Error(`FalconH1Attention: hidden states must be [B, T, ${d}], got [${x.shape.join(', ')}]`);
    }
    const t = x.shape[1]!;
    if (options.decodeConstants && t === 1 && options.cache instanceof StaticKVCache) {
      return this.attendStaticStep(x, options.cache, options, options.decodeConstants);
    }
    const inputMultiplier = options.inputMultiplier ?? 1;
    const folded = this.foldsMultipliers;
    const input = folded || inputMultiplier === 1 ? x : scale(x, inputMultiplier);
    const q = linear(input, this.q_proj.weight, this.q_proj.bias);
    let k = linear(input, this.k_proj.weight, this.k_proj.bias);
    if (!folded) k = scale(k, this.config.key_multiplier);
    return this.attendHeads(q, k, linear(input, this.v_proj.weight, this.v_proj.bias), options);
  }

  /**
   * `attend` from a projection the caller made (inference: a prefill with no gradient tape): projected [B, T, W]
   * holds the tokens' packed q | k | v (`packedQkvProjection` for this `inputMultiplier`: the multipliers folded as
   * attend folds them, so the cache receives what attend would write) at columns [offset, offset + (Hq + 2·Hkv)·Dh)
   * — the decoder layer stacks them under the mixer's in_proj rows, one MatMul for both branches. Three column
   * Slices, then attend's RoPE, cache append and attention: → the heads [B, T, Hq·Dh], as `attend` returns them.
   */
  attendProjected(projected: Tensor, options: AttentionForwardOptions, packed: { offset?: number } = {}): Tensor {
    const { num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = this.config;
    const offset = packed.offset ?? 0;
    const width = (hq + 2 * hkv) * dh;
    if (projected.rank !== 3 || projected.shape[2]! < offset + width) {
      throw new Error(
        `FalconH1Attention.attendProjected: projected must be [B, T, W] with W ≥ offset ${offset} + ${width} (q|k|v's width), got [${projected.shape.join(', ')}]`,
      );
    }
    const column = (start: number, size: number): Tensor => sliceAxis(projected, 2, offset + start, size);
    return this.attendHeads(column(0, hq * dh), column(hq * dh, hkv * dh), column((hq + hkv) * dh, hkv * dh), options);
  }

  /**
   * The attention after the projections: q [B, T, Hq·Dh], k and v [B, T, Hkv·Dh] (multipliers applied or folded as
   * `attentionScale` says) → RoPE of q and k, the cache append, the attention → [B, T, Hq·Dh].
   */
  private attendHeads(q: Tensor, k: Tensor, v: Tensor, options: AttentionForwardOptions): Tensor {
    const { num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = this.config;
    const [b, t] = q.shape as [number, number, number];
    const theta = this.config.rope_parameters.rope_theta;
    const qRoped = rope(reshape(q, [b, t, hq, dh]), options.positions, theta);
    const kRoped = rope(reshape(k, [b, t, hkv, dh]), options.positions, theta);
    const vHeads = reshape(v, [b, t, hkv, dh]);
    const all = options.cache
      ? options.cache.append(kRoped, vHeads, options.seqIdx)
      : { keys: kRoped, values: vHeads, keySeqIdx: options.seqIdx };
    const o = attention(qRoped, all.keys, all.values, {
      scale: this.attentionScale(options.inputMultiplier ?? 1),
      causal: true,
      qSeqIdx: options.seqIdx,
      kSeqIdx: all.keySeqIdx,
    });
    return reshape(o, [b, t, hq * dh]);
  }

  /**
   * One token over a static cache: qkv = the packed projection of x (multipliers folded in), then the fused step
   * writes the roped key and the value into the step's slot and attends over all L slots (document ids mask the
   * empty ones and other rows' padding; the query is the last position, so causality hides nothing).
   */
  private attendStaticStep(
    x: Tensor,
    cache: StaticKVCache,
    options: AttentionForwardOptions,
    constants: AttentionDecodeConstants,
  ): Tensor {
    const b = x.shape[0]!;
    const qkv = linear(reshape(x, [b, this.config.hidden_size]), constants.qkv.weight, constants.qkv.bias);
    const step = this.beginStaticStep(cache, options, { scale: constants.scale });
    const o = attentionDecodeStep({ ...step.inputs, qkv }, step.options);
    return reshape(o, [b, 1, o.shape[1]!]);
  }

  /**
   * One token over a static KV cache (`options.cache`) from a projection the caller made: row [B, W] holds the
   * token's packed q | k | v (`packedQkvProjection` for this `inputMultiplier`) at columns [offset, offset +
   * (Hq + 2·Hkv)·Dh). One fused `AttentionDecodeStep` → the heads [B, Hq·Dh], or [B, C + Hq·Dh] = [prefix | heads]
   * with a prefix [B, C] in row's dtype. `forward` = outputScale · o_proj of the heads, as with `attend`.
   */
  attendProjectedStep(
    row: Tensor,
    options: AttentionForwardOptions,
    packed: { offset?: number; prefix?: Tensor } = {},
  ): Tensor {
    const step = this.beginProjectedStep(options, packed);
    return attentionDecodeStep({ ...step.inputs, qkv: row, prefix: packed.prefix }, step.options);
  }

  /**
   * `attendProjectedStep` up to its kernel, for a caller that runs the step inside a fused kernel of its own (the
   * decoder layer: core's `parallelMixersDecodeStep`, the attention and SSM steps as one kernel): the cache's side
   * of the step is done (`StaticKVCache.beginStep`: the slot, the document ids), and what `AttentionDecodeStep`
   * reads besides the projected row and the prefix comes back with its options (heads, RoPE base, the folded
   * scale, the q|k|v columns' `offset`). Once per step, right before that kernel.
   */
  beginProjectedStep(options: AttentionForwardOptions, packed: { offset?: number } = {}): StaticStepKernel {
    if (!(options.cache instanceof StaticKVCache)) {
      throw new Error('FalconH1Attention.attendProjectedStep: needs a StaticKVCache (options.cache)');
    }
    const scale = this.attentionScale(options.inputMultiplier ?? 1);
    return this.beginStaticStep(options.cache, options, { scale, offset: packed.offset });
  }

  private beginStaticStep(
    cache: StaticKVCache,
    options: AttentionForwardOptions,
    step: { scale: number; offset?: number },
  ): StaticStepKernel {
    const { num_attention_heads: heads, num_key_value_heads: kvHeads } = this.config;
    const theta = this.config.rope_parameters.rope_theta;
    return {
      inputs: cache.beginStep(options.positions, options.seqIdx),
      options: { heads, kvHeads, theta, scale: step.scale, offset: step.offset },
    };
  }

  /**
   * The attention kernel's scale over `inputMultiplier · x`: 1/√Dh, times inputMultiplier²·key_multiplier where
   * the multipliers are folded (see above).
   */
  attentionScale(inputMultiplier = 1): number {
    return this.foldsMultipliers
      ? this.scaling * inputMultiplier * inputMultiplier * this.config.key_multiplier
      : this.scaling;
  }

  /** The multiplier of o_proj's output: attention_out_multiplier, times attention_in_multiplier where folded. */
  outputScale(options: Pick<AttentionForwardOptions, 'inputMultiplier' | 'outputMultiplier'>): number {
    return (this.foldsMultipliers ? (options.inputMultiplier ?? 1) : 1) * (options.outputMultiplier ?? 1);
  }

  /** Without q/k/v biases the multipliers move into the attention kernel's scale and the output (see above). */
  get foldsMultipliers(): boolean {
    return !this.q_proj.bias && !this.k_proj.bias && !this.v_proj.bias;
  }
}
