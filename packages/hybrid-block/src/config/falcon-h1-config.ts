/**
 * FalconH1Config: a Hugging Face Falcon-H1 `config.json` parsed exactly as transformers 5's `FalconH1Config` does —
 * the same attribute names, the same defaults, the same derived values — and checked for consistency.
 *
 * Derived values, as transformers derives them:
 *  - `num_key_value_heads` null → `num_attention_heads`;
 *  - `mamba_d_ssm` null → `mamba_expand · hidden_size`; `mamba_d_head` "auto" → `mamba_d_ssm // mamba_n_heads`;
 *  - `head_dim` absent (or null) → `hidden_size // num_attention_heads` (the modeling code's `getattr` default);
 *  - `rope_parameters` → `{rope_type, rope_theta}`, where `rope_theta` comes from `rope_parameters.rope_theta`, else
 *    the legacy top-level `rope_theta`, else transformers' default θ = 10000;
 *  - `mlp_multipliers` null → [1, 1]; `ssm_multipliers` null → [1, 1, 1, 1, 1];
 *  - `time_step_limit` → a pair; `{"__float__": "Infinity"}` and a bare `Infinity` both read as ∞.
 * Keys transformers does not know are kept in `extra` (written back by `falconH1ConfigToJson`).
 *
 * One key is this project's own: `block_layout` ("SA_M", the published layout and the default; "SAM" and "S_A_M"
 * for the seminar's ablations, see block-layout.ts). transformers ignores it.
 */
import type { FalconH1AttentionConfig } from '@falcon-h1/attention';
import type { FalconH1MixerConfig } from '@falcon-h1/mamba2';
import { BLOCK_LAYOUTS, type BlockLayout } from '../block-layout.js';
import { decodeFloat, parsePythonJson } from './config-json-text.js';

export interface FalconH1Config extends FalconH1MixerConfig, FalconH1AttentionConfig {
  readonly model_type: 'falcon_h1';
  readonly vocab_size: number;
  readonly tie_word_embeddings: boolean;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly hidden_act: 'silu';
  readonly initializer_range: number;
  readonly rms_norm_eps: number;
  readonly use_cache: boolean;
  readonly num_logits_to_keep: number | null;
  readonly pad_token_id: number | null;
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | readonly number[] | null;
  readonly max_position_embeddings: number;
  readonly attention_dropout: number;
  readonly mamba_d_ssm: number;
  readonly mamba_n_heads: number;
  readonly mamba_d_head: number;
  readonly mamba_n_groups: number;
  readonly mamba_d_state: number;
  readonly mamba_d_conv: number;
  readonly mamba_expand: number;
  readonly mamba_chunk_size: number;
  readonly mamba_conv_bias: boolean;
  readonly mamba_proj_bias: boolean;
  readonly mamba_norm_before_gate: boolean;
  readonly mamba_rms_norm: boolean;
  readonly time_step_min: number;
  readonly time_step_max: number;
  readonly time_step_limit: readonly [number, number];
  readonly projectors_bias: boolean;
  readonly rope_parameters: { readonly rope_type: 'default'; readonly rope_theta: number };
  readonly lm_head_multiplier: number;
  readonly embedding_multiplier: number;
  /** [gate, down] */
  readonly mlp_multipliers: readonly [number, number];
  readonly key_multiplier: number;
  readonly attention_out_multiplier: number;
  readonly attention_in_multiplier: number;
  /** [z, x, B, C, dt] */
  readonly ssm_multipliers: readonly [number, number, number, number, number];
  readonly ssm_in_multiplier: number;
  readonly ssm_out_multiplier: number;
  readonly attention_bias: boolean;
  readonly mlp_bias: boolean;
  /** This project's extension (not a transformers attribute): how attention, SSM and MLP are arranged. */
  readonly block_layout: BlockLayout;
  /** Keys of the JSON that transformers' FalconH1Config does not declare (architectures, dtype, ...). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** transformers' default θ when a config names none (`RotaryEmbeddingConfigMixin.default_theta`). */
export const DEFAULT_ROPE_THETA = 10_000;

/** Thrown for a config transformers would refuse, or one this implementation cannot run, naming the field. */
export class FalconH1ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FalconH1ConfigError';
  }
}

/** Every key FalconH1Config declares (and the legacy ones it converts), so the rest goes to `extra`. */
const KNOWN_KEYS = new Set([
  'model_type',
  'vocab_size',
  'tie_word_embeddings',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'hidden_act',
  'initializer_range',
  'rms_norm_eps',
  'use_cache',
  'num_logits_to_keep',
  'pad_token_id',
  'bos_token_id',
  'eos_token_id',
  'max_position_embeddings',
  'attention_dropout',
  'mamba_d_ssm',
  'mamba_n_heads',
  'mamba_d_head',
  'mamba_n_groups',
  'mamba_d_state',
  'mamba_d_conv',
  'mamba_expand',
  'mamba_chunk_size',
  'mamba_conv_bias',
  'mamba_proj_bias',
  'mamba_norm_before_gate',
  'mamba_rms_norm',
  'time_step_min',
  'time_step_max',
  'time_step_limit',
  'projectors_bias',
  'rope_parameters',
  'rope_theta',
  'rope_scaling',
  'lm_head_multiplier',
  'embedding_multiplier',
  'mlp_multipliers',
  'key_multiplier',
  'attention_out_multiplier',
  'attention_in_multiplier',
  'ssm_multipliers',
  'ssm_in_multiplier',
  'ssm_out_multiplier',
  'attention_bias',
  'mlp_bias',
  'block_layout',
]);

type Json = Readonly<Record<string, unknown>>;

/** Typed readers of one JSON object: absent (or, where transformers allows it, null) gives the default. */
class FieldReader {
  constructor(
    private readonly json: Json,
    private readonly source: string,
  ) {}

  fail(key: string, expected: string): never {
    const value = this.json[key];
    const shown = JSON.stringify(value) ?? String(value);
    throw new FalconH1ConfigError(`${this.source}: '${key}' must be ${expected}, got ${shown}`);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.json, key) && this.json[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.json[key];
  }

  int(key: string, fallback: number, min = 1): number {
    if (!this.has(key)) return fallback;
    const value = this.json[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(key, min === 1 ? 'a positive integer' : `an integer ≥ ${min}`);
    }
    return value;
  }

  nullableInt(key: string, fallback: number | null): number | null {
    if (!this.has(key)) return fallback;
    if (this.json[key] === null) return null;
    return this.int(key, 0, 0);
  }

  float(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const value = decodeFloat(this.json[key]);
    if (value === undefined || !Number.isFinite(value)) this.fail(key, 'a finite number');
    return value;
  }

  /** A float that transformers allows to be null (`float | None`): null gives the default. */
  nullableFloat(key: string, fallback: number): number {
    return this.json[key] === null ? fallback : this.float(key, fallback);
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key) || this.json[key] === null) return fallback;
    const value = this.json[key];
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value;
  }

  floats(key: string, fallback: readonly number[], length: number): number[] {
    if (!this.has(key) || this.json[key] === null) return [...fallback];
    const value = this.json[key];
    if (!Array.isArray(value) || value.length !== length) this.fail(key, `a list of ${length} numbers`);
    return value.map((v) => {
      const x = decodeFloat(v);
      if (x === undefined || !Number.isFinite(x)) this.fail(key, `a list of ${length} finite numbers`);
      return x;
    });
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRope(read: FieldReader, source: string): FalconH1Config['rope_parameters'] {
  const rope = read.raw('rope_parameters');
  const legacyScaling = read.raw('rope_scaling');
  if (rope !== undefined && rope !== null && !isObject(rope)) read.fail('rope_parameters', 'an object');
  if (rope == null && isObject(legacyScaling)) {
    throw new FalconH1ConfigError(
      `${source}: 'rope_scaling' ${JSON.stringify(legacyScaling)} is not supported: Falcon-H1 uses default (unscaled) RoPE`,
    );
  }
  const params = (rope ?? {}) as Json;
  const type = params['rope_type'] ?? params['type'] ?? 'default';
  if (type !== 'default') {
    throw new FalconH1ConfigError(
      `${source}: rope_type '${String(type)}' is not supported (only 'default', which every Falcon-H1 uses)`,
    );
  }
  const fromParams = decodeFloat(params['rope_theta']);
  const legacy = read.has('rope_theta') && read.raw('rope_theta') !== null ? read.float('rope_theta', 0) : undefined;
  const theta = fromParams ?? legacy ?? DEFAULT_ROPE_THETA;
  if (!(theta > 0) || !Number.isFinite(theta)) {
    throw new FalconH1ConfigError(`${source}: rope_theta must be a positive number, got ${JSON.stringify(theta)}`);
  }
  return { rope_type: 'default', rope_theta: theta };
}

function readTimeStepLimit(read: FieldReader): [number, number] {
  if (!read.has('time_step_limit')) return [0, Number.POSITIVE_INFINITY];
  const value = read.raw('time_step_limit');
  if (value === null) {
    read.fail('time_step_limit', 'a pair [min, max] (null makes transformers fail when it clamps dt)');
  }
  if (!Array.isArray(value) || value.length !== 2) read.fail('time_step_limit', 'a pair [min, max]');
  const lo = decodeFloat(value[0]);
  const hi = decodeFloat(value[1]);
  if (lo === undefined || hi === undefined || Number.isNaN(lo) || Number.isNaN(hi) || !(lo <= hi) || lo < 0) {
    read.fail('time_step_limit', 'a pair [min, max] with 0 ≤ min ≤ max');
  }
  return [lo, hi];
}

function readEos(read: FieldReader): number | number[] | null {
  if (!read.has('eos_token_id')) return 2;
  const value = read.raw('eos_token_id');
  if (value === null) return null;
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
      read.fail('eos_token_id', 'a token id or a list of token ids');
    }
    return value as number[];
  }
  return read.int('eos_token_id', 2, 0);
}

/** Parses a config object (the JSON of `config.json`). `source` names it in error messages. */
export function parseFalconH1Config(json: unknown, source = 'config.json'): FalconH1Config {
  if (!isObject(json)) throw new FalconH1ConfigError(`${source}: must be a JSON object`);
  const read = new FieldReader(json, source);
  if (read.has('model_type') && json['model_type'] !== 'falcon_h1') {
    read.fail('model_type', `"falcon_h1"`);
  }

  const hidden_size = read.int('hidden_size', 4096);
  const num_attention_heads = read.int('num_attention_heads', 32);
  const num_key_value_heads =
    json['num_key_value_heads'] === null ? num_attention_heads : read.int('num_key_value_heads', 8);
  const head_dim =
    read.has('head_dim') && json['head_dim'] !== null
      ? read.int('head_dim', 0)
      : Math.floor(hidden_size / num_attention_heads);
  const mamba_expand = read.int('mamba_expand', 2);
  const mamba_d_ssm = json['mamba_d_ssm'] === null ? mamba_expand * hidden_size : read.int('mamba_d_ssm', 1024);
  const mamba_n_heads = read.int('mamba_n_heads', 128);
  const rawHead = json['mamba_d_head'];
  const mamba_d_head =
    !read.has('mamba_d_head') || rawHead === 'auto' || rawHead === null
      ? Math.floor(mamba_d_ssm / mamba_n_heads)
      : read.int('mamba_d_head', 0);
  const hidden_act = json['hidden_act'] ?? 'silu';
  if (hidden_act !== 'silu') {
    throw new FalconH1ConfigError(`${source}: hidden_act '${String(hidden_act)}' is not supported (only 'silu')`);
  }
  const layout = json['block_layout'] ?? 'SA_M';
  if (!BLOCK_LAYOUTS.includes(layout as BlockLayout)) read.fail('block_layout', `one of ${BLOCK_LAYOUTS.join(', ')}`);

  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) if (!KNOWN_KEYS.has(key)) extra[key] = value;

  const config: FalconH1Config = {
    model_type: 'falcon_h1',
    vocab_size: read.int('vocab_size', 128000),
    tie_word_embeddings: read.bool('tie_word_embeddings', false),
    hidden_size,
    intermediate_size: read.int('intermediate_size', 14336),
    num_hidden_layers: read.int('num_hidden_layers', 32),
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    hidden_act: 'silu',
    initializer_range: read.float('initializer_range', 0.02),
    rms_norm_eps: read.float('rms_norm_eps', 1e-5),
    use_cache: read.bool('use_cache', true),
    num_logits_to_keep: read.nullableInt('num_logits_to_keep', 1),
    pad_token_id: read.nullableInt('pad_token_id', 0),
    bos_token_id: read.nullableInt('bos_token_id', 1),
    eos_token_id: readEos(read),
    max_position_embeddings: read.int('max_position_embeddings', 8192),
    attention_dropout: read.float('attention_dropout', 0),
    mamba_d_ssm,
    mamba_n_heads,
    mamba_d_head,
    mamba_n_groups: read.int('mamba_n_groups', 1),
    mamba_d_state: read.int('mamba_d_state', 256),
    mamba_d_conv: read.int('mamba_d_conv', 4),
    mamba_expand,
    mamba_chunk_size: read.int('mamba_chunk_size', 256),
    mamba_conv_bias: read.bool('mamba_conv_bias', true),
    mamba_proj_bias: read.bool('mamba_proj_bias', false),
    mamba_norm_before_gate: read.bool('mamba_norm_before_gate', true),
    mamba_rms_norm: read.bool('mamba_rms_norm', false),
    time_step_min: read.nullableFloat('time_step_min', 0.001),
    time_step_max: read.nullableFloat('time_step_max', 0.1),
    time_step_limit: readTimeStepLimit(read),
    projectors_bias: read.bool('projectors_bias', false),
    rope_parameters: readRope(read, source),
    lm_head_multiplier: read.nullableFloat('lm_head_multiplier', 1),
    embedding_multiplier: read.nullableFloat('embedding_multiplier', 1),
    mlp_multipliers: read.floats('mlp_multipliers', [1, 1], 2) as [number, number],
    key_multiplier: read.nullableFloat('key_multiplier', 1),
    attention_out_multiplier: read.nullableFloat('attention_out_multiplier', 1),
    attention_in_multiplier: read.nullableFloat('attention_in_multiplier', 1),
    ssm_multipliers: read.floats('ssm_multipliers', [1, 1, 1, 1, 1], 5) as [number, number, number, number, number],
    ssm_in_multiplier: read.nullableFloat('ssm_in_multiplier', 1),
    ssm_out_multiplier: read.nullableFloat('ssm_out_multiplier', 1),
    attention_bias: read.bool('attention_bias', false),
    mlp_bias: read.bool('mlp_bias', false),
    block_layout: layout as BlockLayout,
    extra,
  };
  validateFalconH1Config(config, source);
  return config;
}

/** Parses the text of a `config.json` (Python's bare Infinity/NaN tokens included). */
export function parseFalconH1ConfigJson(text: string, source = 'config.json'): FalconH1Config {
  let json: unknown;
  try {
    json = parsePythonJson(text);
  } catch (error) {
    throw new FalconH1ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseFalconH1Config(json, source);
}

/**
 * The consistency checks: transformers' own (`validate_architecture`) and the ones without which the model
 * cannot run (transformers would fail later, inside a reshape or a kernel).
 */
export function validateFalconH1Config(config: FalconH1Config, source = 'config'): void {
  const fail = (message: string): never => {
    throw new FalconH1ConfigError(`${source}: ${message}`);
  };
  const d = config.mamba_d_ssm;
  if (d % config.mamba_n_heads !== 0) {
    fail(`mamba_n_heads (${config.mamba_n_heads}) must divide the SSM width mamba_d_ssm (${d})`);
  }
  if (config.mamba_d_head * config.mamba_n_heads !== d) {
    fail(
      `mamba_d_head · mamba_n_heads = ${config.mamba_d_head} · ${config.mamba_n_heads} does not match mamba_d_ssm (${d})`,
    );
  }
  if (config.mamba_n_heads % config.mamba_n_groups !== 0) {
    fail(`mamba_n_groups (${config.mamba_n_groups}) must divide mamba_n_heads (${config.mamba_n_heads})`);
  }
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    fail(
      `num_key_value_heads (${config.num_key_value_heads}) must divide num_attention_heads (${config.num_attention_heads})`,
    );
  }
  if (config.head_dim % 2 !== 0) fail(`head_dim (${config.head_dim}) must be even for rotary embeddings`);
  if (!(config.rms_norm_eps > 0)) fail(`rms_norm_eps must be > 0, got ${config.rms_norm_eps}`);
  for (const [name, id] of [
    ['pad_token_id', config.pad_token_id],
    ['bos_token_id', config.bos_token_id],
    ...(Array.isArray(config.eos_token_id)
      ? config.eos_token_id.map((id) => ['eos_token_id', id] as const)
      : [['eos_token_id', config.eos_token_id] as const]),
  ] as const) {
    if (typeof id === 'number' && id >= config.vocab_size) {
      fail(`${name} ${id} is outside the vocabulary (vocab_size ${config.vocab_size})`);
    }
  }
}

/** The stop tokens the config names (`eos_token_id`, one or several). */
export function eosTokenIds(config: FalconH1Config): number[] {
  const eos = config.eos_token_id;
  return eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos as number];
}
