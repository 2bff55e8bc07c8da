/**
 * FalconH1Attention's forward cut in two at the point where context parallelism moves keys and values between
 * ranks: `keysValuesQueries` (the projections, the key multiplier, RoPE at the tokens' global positions) and
 * `attendAndProject` (attention over the gathered keys, then o_proj). The formulas are the module's own — written
 * with its public weights and config, checked against the module by the equivalence tests; a
 * `project`/`attend` pair of methods on FalconH1Attention would replace this file.
 */
import type { FalconH1Attention } from '@falcon-h1/attention';
import { attention, linear, reshape, rope, scale, type Tensor } from '@falcon-h1/core-tensor';

/** x [B, T, D] at positions [B, T] → q [B, T, Hq, Dh], k and v [B, T, Hkv, Dh] (k after multiplier and RoPE). */
export function keysValuesQueries(module: FalconH1Attention, x: Tensor, positions: Tensor): [Tensor, Tensor, Tensor] {
  const { num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = module.config;
  const [b, t] = x.shape as [number, number, number];
  const theta = module.config.rope_parameters.rope_theta;
  const q = rope(reshape(linear(x, module.q_proj.weight, module.q_proj.bias), [b, t, hq, dh]), positions, theta);
  const kProjected = scale(linear(x, module.k_proj.weight, module.k_proj.bias), module.config.key_multiplier);
  const k = rope(reshape(kProjected, [b, t, hkv, dh]), positions, theta);
  const v = reshape(linear(x, module.v_proj.weight, module.v_proj.bias), [b, t, hkv, dh]);
  return [q, k, v];
}

/**
 * Causal attention of the T queries, which are the LAST T of the S key positions, then o_proj → [B, T, D]. With
 * document ids: queries' [B, T] and keys' [B, S].
 */
export function attendAndProject(
  module: FalconH1Attention,
  q: Tensor,
  keys: Tensor,
  values: Tensor,
  seqIdx?: { queries: Tensor; keys: Tensor },
): Tensor {
  const [b, t, hq, dh] = q.shape as [number, number, number, number];
  const o = attention(q, keys, values, {
    scale: module.scaling,
    causal: true,
    qSeqIdx: seqIdx?.queries,
    kSeqIdx: seqIdx?.keys,
  });
  return linear(reshape(o, [b, t, hq * dh]), module.o_proj.weight, module.o_proj.bias);
}
