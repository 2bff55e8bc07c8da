/** Config parsing as transformers 5 does it: the fixtures' configs, every default, legacy spellings, refusals. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROPE_THETA,
  falconH1ConfigJsonText,
  parseFalconH1Config,
  parseFalconH1ConfigJson,
} from '../src/index.js';
import { fixtureDir } from './fixtures.js';

const fixtureConfig = (name: string): string => readFileSync(`${fixtureDir(name)}/config.json`, 'utf8');

describe('parseFalconH1Config', () => {
  it('reads a transformers 5 config.json (rope_parameters, head_dim, {"__float__": "Infinity"})', () => {
    const c = parseFalconH1ConfigJson(fixtureConfig('tiny-a'));
    expect(c.rope_parameters).toEqual({ rope_type: 'default', rope_theta: 1e11 });
    expect(c.head_dim).toBe(24);
    expect(c.time_step_limit).toEqual([0, Number.POSITIVE_INFINITY]);
    expect(c.ssm_multipliers).toEqual([0.3535533905932738, 0.25, 0.3535533905932738, 0.5, 0.3535533905932738]);
    expect(c.mamba_rms_norm).toBe(true);
    expect(c.block_layout).toBe('SA_M');
    expect(c.extra).toEqual({ transformers_version: '5.17.0' });
  });

  it("has transformers' defaults for everything absent", () => {
    const c = parseFalconH1Config({});
    expect(c).toMatchObject({
      vocab_size: 128000,
      tie_word_embeddings: false,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 128,
      rms_norm_eps: 1e-5,
      pad_token_id: 0,
      bos_token_id: 1,
      eos_token_id: 2,
      max_position_embeddings: 8192,
      mamba_d_ssm: 1024,
      mamba_n_heads: 128,
      mamba_d_head: 8,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_d_conv: 4,
      mamba_expand: 2,
      mamba_chunk_size: 256,
      mamba_conv_bias: true,
      mamba_proj_bias: false,
      mamba_norm_before_gate: true,
      mamba_rms_norm: false,
      time_step_min: 0.001,
      time_step_max: 0.1,
      time_step_limit: [0, Number.POSITIVE_INFINITY],
      projectors_bias: false,
      lm_head_multiplier: 1,
      embedding_multiplier: 1,
      mlp_multipliers: [1, 1],
      key_multiplier: 1,
      attention_out_multiplier: 1,
      attention_in_multiplier: 1,
      ssm_multipliers: [1, 1, 1, 1, 1],
      ssm_in_multiplier: 1,
      ssm_out_multiplier: 1,
      attention_bias: false,
      mlp_bias: false,
      rope_parameters: { rope_type: 'default', rope_theta: DEFAULT_ROPE_THETA },
    });
  });

  it('derives what transformers derives', () => {
    const c = parseFalconH1Config({
      hidden_size: 64,
      num_attention_heads: 4,
      num_key_value_heads: null,
      mamba_d_ssm: null,
      mamba_expand: 3,
      mamba_n_heads: 12,
      mamba_d_head: 'auto',
    });
    expect(c.num_key_value_heads).toBe(4);
    expect(c.head_dim).toBe(16);
    expect(c.mamba_d_ssm).toBe(192);
    expect(c.mamba_d_head).toBe(16);
  });

  it('takes the legacy rope_theta, and prefers rope_parameters.rope_theta', () => {
    expect(parseFalconH1Config({ rope_theta: 5e5 }).rope_parameters.rope_theta).toBe(5e5);
    expect(
      parseFalconH1Config({ rope_theta: 5e5, rope_parameters: { rope_type: 'default', rope_theta: 1e11 } })
        .rope_parameters.rope_theta,
    ).toBe(1e11);
  });

  it("reads Python's bare Infinity", () => {
    const c = parseFalconH1ConfigJson('{"time_step_limit": [0.0, Infinity], "model_type": "falcon_h1"}');
    expect(c.time_step_limit).toEqual([0, Number.POSITIVE_INFINITY]);
  });

  it('writes a config.json that reads back the same', () => {
    const c = parseFalconH1ConfigJson(fixtureConfig('tiny-b'));
    const text = falconH1ConfigJsonText(c, 'bf16');
    expect(JSON.parse(text)).toMatchObject({
      dtype: 'bfloat16',
      architectures: ['FalconH1ForCausalLM'],
      time_step_limit: [0, { __float__: 'Infinity' }],
    });
    // transformers' strict validation refuses integers in float fields: floats keep their decimal point.
    expect(text).toMatch(/"time_step_limit": \[\s*0\.0,\s*\{\s*"__float__": "Infinity"\s*\}\s*\]/);
    expect(text).toMatch(/"embedding_multiplier": 2\.0,/);
    expect(text).toMatch(/"rope_theta": 1000000\.0/);
    expect(text).toMatch(/"hidden_size": 64,/);
    expect(parseFalconH1ConfigJson(text)).toEqual({
      ...c,
      extra: { ...c.extra, architectures: ['FalconH1ForCausalLM'], dtype: 'bfloat16' },
    });
  });

  it.each([
    [{ mamba_d_ssm: 100, mamba_n_heads: 8 }, /mamba_n_heads \(8\) must divide the SSM width mamba_d_ssm \(100\)/],
    [
      { mamba_d_ssm: 1024, mamba_n_heads: 128, mamba_d_head: 10 },
      /mamba_d_head · mamba_n_heads = 10 · 128 does not match mamba_d_ssm \(1024\)/,
    ],
    [{ mamba_n_heads: 128, mamba_n_groups: 3 }, /mamba_n_groups \(3\) must divide mamba_n_heads/],
    [
      { num_attention_heads: 6, num_key_value_heads: 4 },
      /num_key_value_heads \(4\) must divide num_attention_heads \(6\)/,
    ],
    [{ head_dim: 7 }, /head_dim \(7\) must be even/],
    [{ rope_parameters: { rope_type: 'yarn', factor: 4 } }, /rope_type 'yarn' is not supported/],
    [{ hidden_act: 'gelu' }, /hidden_act 'gelu' is not supported/],
    [{ hidden_size: 'big' }, /'hidden_size' must be a positive integer, got "big"/],
    [{ mlp_multipliers: [1] }, /'mlp_multipliers' must be a list of 2 numbers/],
    [{ time_step_limit: [1, 0] }, /'time_step_limit' must be a pair/],
    [{ model_type: 'llama' }, /'model_type' must be "falcon_h1"/],
    [{ vocab_size: 10, eos_token_id: 11 }, /eos_token_id 11 is outside the vocabulary/],
    [{ block_layout: 'MSA' }, /'block_layout' must be one of SA_M, SAM, S_A_M/],
  ])('refuses %j', (json, message) => {
    expect(() => parseFalconH1Config(json)).toThrow(message);
  });
});
