/**
 * The six published Falcon-H1 sizes as configs, and the parameter counts the technical report gives for them.
 *
 * Values are those of the published `config.json` files as recorded in the project's reference notes
 * (falcon-h1-reference.md §4). Where the notes have no value, the assumption is written next to it:
 *  - intermediate_size of 1.5B (4608) and 3B (6144): chosen so the parameter count matches the report (1.55B and
 *    3.15B; the next multiples of 512 would give 1.48B/1.63B and 3.03B/3.28B). 4608 is also what third-party copies
 *    of the 1.5B config state;
 *  - mamba_chunk_size of 1.5B: 128, like the other sizes (it changes no result, only how the scan is blocked);
 *  - mamba_rms_norm of 1.5B and 3B: true, like 1.5B-Deep, 7B and 34B (it adds d_ssm parameters per layer, which
 *    does not change the reported counts at their precision);
 *  - the μP multipliers of 1.5B and 3B are not in the notes: those presets keep transformers' defaults (1.0), so
 *    they describe the architecture (shapes, parameter count) but do not reproduce the checkpoints' numbers — load
 *    the checkpoint's own config.json for that. The multipliers of 1.5B-Deep, 7B and 34B have the notes' six
 *    significant digits; 0.5B's are exact (the tiny-a fixture uses them).
 * Shared by all sizes: rope θ 1e11, K = 4, conv bias on, every other bias off, norm_before_gate false,
 * rms_norm_eps 1e-5 (transformers' default), token ids pad 0 / bos 1 / eos 11, untied head.
 */
import { type FalconH1Config, parseFalconH1Config } from './falcon-h1-config.js';

export type FalconH1Size = '0.5B' | '1.5B' | '1.5B-Deep' | '3B' | '7B' | '34B';

export interface FalconH1Preset {
  readonly size: FalconH1Size;
  readonly config: FalconH1Config;
  /** The parameter count the technical report states, e.g. 0.52e9. */
  readonly reportedParameters: number;
  /** Whether the μP multipliers are the published ones (false: transformers' defaults, see above). */
  readonly publishedMultipliers: boolean;
}

const SHARED = {
  model_type: 'falcon_h1',
  rope_parameters: { rope_type: 'default', rope_theta: 1e11 },
  mamba_d_conv: 4,
  mamba_conv_bias: true,
  mamba_proj_bias: false,
  projectors_bias: false,
  attention_bias: false,
  mlp_bias: false,
  mamba_norm_before_gate: false,
  rms_norm_eps: 1e-5,
  pad_token_id: 0,
  bos_token_id: 1,
  eos_token_id: 11,
  tie_word_embeddings: false,
};

const LATER_SSM_MULTIPLIERS = [0.353553, 0.25, 0.176777, 0.5, 0.353553];

const SIZES: Record<FalconH1Size, { reported: number; published: boolean; json: Record<string, unknown> }> = {
  '0.5B': {
    reported: 0.52e9,
    published: true,
    json: {
      num_hidden_layers: 36,
      hidden_size: 1024,
      intermediate_size: 2048,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      head_dim: 64,
      mamba_n_heads: 24,
      mamba_d_head: 64,
      mamba_d_ssm: 1536,
      mamba_n_groups: 1,
      mamba_d_state: 128,
      mamba_chunk_size: 128,
      mamba_rms_norm: false,
      vocab_size: 32784,
      max_position_embeddings: 16384,
      embedding_multiplier: 5.656854249492381,
      lm_head_multiplier: 0.0390625,
      key_multiplier: 0.390625,
      attention_in_multiplier: 1.0,
      attention_out_multiplier: 0.9375,
      ssm_in_multiplier: 1.25,
      ssm_out_multiplier: 0.23570226039551587,
      mlp_multipliers: [0.8838834764831844, 0.5859375],
      ssm_multipliers: [0.3535533905932738, 0.25, 0.3535533905932738, 0.5, 0.3535533905932738],
    },
  },
  '1.5B': {
    reported: 1.55e9,
    published: false,
    json: {
      num_hidden_layers: 24,
      hidden_size: 2048,
      intermediate_size: 4608,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      head_dim: 128,
      mamba_n_heads: 48,
      mamba_d_head: 64,
      mamba_d_ssm: 3072,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_chunk_size: 128,
      mamba_rms_norm: true,
      vocab_size: 65537,
      max_position_embeddings: 131072,
    },
  },
  '1.5B-Deep': {
    reported: 1.55e9,
    published: true,
    json: {
      num_hidden_layers: 66,
      hidden_size: 1280,
      intermediate_size: 3072,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      head_dim: 128,
      mamba_n_heads: 24,
      mamba_d_head: 64,
      mamba_d_ssm: 1536,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_chunk_size: 128,
      mamba_rms_norm: true,
      vocab_size: 65537,
      max_position_embeddings: 131072,
      embedding_multiplier: 5.656854,
      lm_head_multiplier: 0.03125,
      key_multiplier: 0.176777,
      attention_in_multiplier: 1.0,
      attention_out_multiplier: 0.5,
      ssm_in_multiplier: 1.0,
      ssm_out_multiplier: 0.235702,
      mlp_multipliers: [Math.SQRT1_2, 0.3125], // the notes: 0.707107
      ssm_multipliers: LATER_SSM_MULTIPLIERS,
    },
  },
  '3B': {
    reported: 3.15e9,
    published: false,
    json: {
      num_hidden_layers: 32,
      hidden_size: 2560,
      intermediate_size: 6144,
      num_attention_heads: 10,
      num_key_value_heads: 2,
      head_dim: 128,
      mamba_n_heads: 32,
      mamba_d_head: 128,
      mamba_d_ssm: 4096,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_chunk_size: 128,
      mamba_rms_norm: true,
      vocab_size: 65536,
      max_position_embeddings: 131072,
    },
  },
  '7B': {
    reported: 7.59e9,
    published: true,
    json: {
      num_hidden_layers: 44,
      hidden_size: 3072,
      intermediate_size: 12288,
      num_attention_heads: 12,
      num_key_value_heads: 2,
      head_dim: 128,
      mamba_n_heads: 24,
      mamba_d_head: 128,
      mamba_d_ssm: 3072,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_chunk_size: 256,
      mamba_rms_norm: true,
      vocab_size: 130049,
      max_position_embeddings: 262144,
      embedding_multiplier: 5.656854,
      lm_head_multiplier: 0.0130208,
      key_multiplier: 0.0306904,
      attention_in_multiplier: 1.0,
      attention_out_multiplier: 0.104167,
      ssm_in_multiplier: 0.416667,
      ssm_out_multiplier: 0.117851,
      mlp_multipliers: [0.294628, 0.0325521],
      ssm_multipliers: LATER_SSM_MULTIPLIERS,
    },
  },
  '34B': {
    reported: 33.6e9,
    published: true,
    json: {
      num_hidden_layers: 72,
      hidden_size: 5120,
      intermediate_size: 21504,
      num_attention_heads: 20,
      num_key_value_heads: 4,
      head_dim: 128,
      mamba_n_heads: 32,
      mamba_d_head: 128,
      mamba_d_ssm: 4096,
      mamba_n_groups: 2,
      mamba_d_state: 256,
      mamba_chunk_size: 128,
      mamba_rms_norm: true,
      vocab_size: 261120,
      max_position_embeddings: 262144,
      embedding_multiplier: 5.656854,
      lm_head_multiplier: 0.0078125,
      key_multiplier: 0.0110485,
      attention_in_multiplier: 1.0,
      attention_out_multiplier: 0.0375,
      ssm_in_multiplier: 0.25,
      ssm_out_multiplier: 0.0883883,
      mlp_multipliers: [0.176777, 0.0111607],
      ssm_multipliers: LATER_SSM_MULTIPLIERS,
    },
  },
};

export const FALCON_H1_SIZES: readonly FalconH1Size[] = ['0.5B', '1.5B', '1.5B-Deep', '3B', '7B', '34B'];

/** The preset of a published size. */
export function falconH1Preset(size: FalconH1Size): FalconH1Preset {
  const entry = SIZES[size];
  if (!entry) throw new Error(`unknown Falcon-H1 size '${size}' (known: ${FALCON_H1_SIZES.join(', ')})`);
  return {
    size,
    config: parseFalconH1Config({ ...SHARED, ...entry.json }, `preset Falcon-H1-${size}`),
    reportedParameters: entry.reported,
    publishedMultipliers: entry.published,
  };
}
