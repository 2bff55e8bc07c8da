/**
 * The attention parameters under transformers' names (relative to `model.layers.N.self_attn.`) and shapes, and the
 * function type through which the module receives them.
 */
import type { Variable } from '@falcon-h1/core-tensor';
import type { FalconH1AttentionConfig } from './attention-config.js';

export interface ParameterShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Hands a module the variable stored under `name` (relative to the module), checked against `shape`. */
export type ParameterProvider = (name: string, shape: readonly number[]) => Variable;

export function attentionParameterShapes(config: FalconH1AttentionConfig): ParameterShape[] {
  const d = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const shapes: ParameterShape[] = [];
  for (const [name, rows, cols] of [
    ['q_proj', q, d],
    ['k_proj', kv, d],
    ['v_proj', kv, d],
    ['o_proj', d, q],
  ] as const) {
    shapes.push({ name: `${name}.weight`, shape: [rows, cols] });
    if (config.attention_bias) shapes.push({ name: `${name}.bias`, shape: [rows] });
  }
  return shapes;
}
