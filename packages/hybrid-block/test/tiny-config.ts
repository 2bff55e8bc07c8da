/** A tiny Falcon-H1 config with every μP multiplier away from 1 (decode-step tests: constants, static decoder). */
import { type BlockLayout, type FalconH1Config, parseFalconH1Config } from '../src/index.js';

/**
 * 2 layers of `layout`, GQA 4/2, 4 SSM heads in 2 groups; the gated RMSNorm except for SAM (which covers the plain
 * y·silu(z) gate); every bias or none; `overrides` replace any config.json field.
 */
export function configFor(
  layout: BlockLayout,
  biases: boolean,
  overrides: Record<string, unknown> = {},
): FalconH1Config {
  return parseFalconH1Config({
    vocab_size: 40,
    num_hidden_layers: 2,
    hidden_size: 16,
    intermediate_size: 24,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 4,
    mamba_d_ssm: 12,
    mamba_n_heads: 4,
    mamba_d_head: 3,
    mamba_n_groups: 2,
    mamba_d_state: 5,
    mamba_chunk_size: 4,
    mamba_rms_norm: layout !== 'SAM', // SAM also covers the plain y·silu(z) gate
    key_multiplier: 0.7,
    attention_in_multiplier: 0.8,
    attention_out_multiplier: 1.3,
    ssm_in_multiplier: 1.1,
    ssm_out_multiplier: 0.6,
    ssm_multipliers: [0.35, 0.25, 0.4, 0.5, 0.3],
    mlp_multipliers: [0.9, 1.2],
    embedding_multiplier: 2,
    lm_head_multiplier: 0.5,
    block_layout: layout,
    attention_bias: biases,
    mlp_bias: biases,
    mamba_proj_bias: biases,
    projectors_bias: biases,
    ...overrides,
  });
}
