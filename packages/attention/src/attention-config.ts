/**
 * What the attention mixer reads from a Falcon-H1 config, under transformers' own attribute names (a parsed
 * `FalconH1Config` of @falcon-h1/hybrid-block is one).
 */

export interface FalconH1AttentionConfig {
  readonly hidden_size: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  /** From the config, never hidden/heads in a published size. */
  readonly head_dim: number;
  readonly attention_bias: boolean;
  /** k = k_proj(x)·key_multiplier, before RoPE and before the KV cache. */
  readonly key_multiplier: number;
  /** NeoX RoPE base θ (`rope_parameters.rope_theta`; 1e11 in every published size). */
  readonly rope_parameters: { readonly rope_theta: number };
}
