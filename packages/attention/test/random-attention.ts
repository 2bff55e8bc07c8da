/** The attention tests' small module: its config (GQA 6/2, key multiplier) and uniform random f64 parameters. */
import { type Variable, variable } from '@falcon-h1/core-tensor';
import { FalconH1Attention, type FalconH1AttentionConfig } from '../src/index.js';
import { uniformTensor } from './seeded-random.js';

export function smallAttentionConfig(attentionBias: boolean): FalconH1AttentionConfig {
  return {
    hidden_size: 12,
    num_attention_heads: 6,
    num_key_value_heads: 2,
    head_dim: 8,
    attention_bias: attentionBias,
    key_multiplier: 0.37,
    rope_parameters: { rope_theta: 1e4 },
  };
}

/** The module with uniform random f64 parameters, each Variable pushed onto `params` (the caller disposes them). */
export function randomAttention(
  config: FalconH1AttentionConfig,
  next: () => number,
  params: Variable[],
): FalconH1Attention {
  return new FalconH1Attention(config, (name, shape) => {
    const t = uniformTensor(next, shape);
    params.push(variable(t, { name }));
    t.dispose();
    return params[params.length - 1]!;
  });
}
