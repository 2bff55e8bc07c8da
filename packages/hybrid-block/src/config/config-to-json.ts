/**
 * Writing a FalconH1Config back as the `config.json` transformers 5 reads (and `save_pretrained` writes): every
 * declared attribute, `rope_parameters` as a dict, non-finite floats as `{"__float__": ...}`, plus the kept extra
 * keys, `architectures` and the weights' `dtype`.
 */

import { encodeFloat } from './config-json-text.js';
import type { FalconH1Config } from './falcon-h1-config.js';

/** The torch dtype names transformers writes for each storage dtype. */
export const TORCH_DTYPE_NAMES = { f32: 'float32', bf16: 'bfloat16', f16: 'float16', f64: 'float64' } as const;

export function falconH1ConfigToJson(
  config: FalconH1Config,
  weightsDType?: keyof typeof TORCH_DTYPE_NAMES,
): Record<string, unknown> {
  const { extra, block_layout, time_step_limit, ...declared } = config;
  const json: Record<string, unknown> = { architectures: ['FalconH1ForCausalLM'], ...extra, ...declared };
  json.time_step_limit = time_step_limit.map(encodeFloat);
  if (block_layout !== 'SA_M') json.block_layout = block_layout;
  if (weightsDType) json.dtype = TORCH_DTYPE_NAMES[weightsDType];
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Attributes transformers declares as floats. Its strict config validation refuses an integer there (`[0, inf]`
 * fails where `[0.0, inf]` passes), so their values are written with a decimal point, as Python's json does.
 */
const FLOAT_KEYS = new Set([
  'initializer_range',
  'rms_norm_eps',
  'attention_dropout',
  'time_step_min',
  'time_step_max',
  'time_step_limit',
  'lm_head_multiplier',
  'embedding_multiplier',
  'mlp_multipliers',
  'key_multiplier',
  'attention_out_multiplier',
  'attention_in_multiplier',
  'ssm_multipliers',
  'ssm_in_multiplier',
  'ssm_out_multiplier',
  'rope_theta',
]);

/** A finite number as Python's json writes a float: integers get ".0" (1 → 1.0, 1e11 → 100000000000.0). */
function pythonFloat(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

const FLOAT_MARK = '\u0000float:';

/** Marks the finite numbers under float keys (recursively through arrays and rope_parameters). */
function markFloats(value: unknown, isFloat: boolean): unknown {
  if (typeof value === 'number')
    return isFloat && Number.isFinite(value) ? `${FLOAT_MARK}${pythonFloat(value)}` : value;
  if (Array.isArray(value)) return value.map((v) => markFloats(v, isFloat));
  if (typeof value === 'object' && value !== null && !('__float__' in value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markFloats(v, isFloat || FLOAT_KEYS.has(k))]));
  }
  return value;
}

/** The text of `config.json`: two-space indented, sorted keys, floats as floats, trailing newline (as save_pretrained). */
export function falconH1ConfigJsonText(config: FalconH1Config, weightsDType?: keyof typeof TORCH_DTYPE_NAMES): string {
  const marked = markFloats(falconH1ConfigToJson(config, weightsDType), false);
  const text = JSON.stringify(marked, null, 2).replace(/"\\u0000float:([^"]*)"/g, '$1');
  return `${text}\n`;
}
