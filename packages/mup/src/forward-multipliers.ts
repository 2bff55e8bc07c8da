/**
 * The forward multipliers of Falcon-H1 (falcon-h1-reference.md §1, §2, §5 "forward multipliers: embedding out,
 * projector (lm_head) out, ssm out, attn out, ssm x/B/C/dt/gate, attn key, MLP out (down), MLP gate") by one name
 * each, and where each lives in a FalconH1Config — the config fields ARE the forward multipliers the model applies.
 * `ssm_in` and `attention_in`, also config fields, are listed too. `ssm_z` is the seminar's "ssm gate" (z gates y).
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';

export const FORWARD_MULTIPLIERS = [
  'embedding',
  'lm_head',
  'key',
  'attention_in',
  'attention_out',
  'ssm_in',
  'ssm_out',
  'mlp_gate',
  'mlp_down',
  'ssm_z',
  'ssm_x',
  'ssm_B',
  'ssm_C',
  'ssm_dt',
] as const;

export type ForwardMultiplier = (typeof FORWARD_MULTIPLIERS)[number];

const SSM_INDEX = { ssm_z: 0, ssm_x: 1, ssm_B: 2, ssm_C: 3, ssm_dt: 4 } as const;

/** The value of one forward multiplier in a config. */
export function forwardMultiplier(config: FalconH1Config, which: ForwardMultiplier): number {
  switch (which) {
    case 'embedding':
      return config.embedding_multiplier;
    case 'lm_head':
      return config.lm_head_multiplier;
    case 'key':
      return config.key_multiplier;
    case 'attention_in':
      return config.attention_in_multiplier;
    case 'attention_out':
      return config.attention_out_multiplier;
    case 'ssm_in':
      return config.ssm_in_multiplier;
    case 'ssm_out':
      return config.ssm_out_multiplier;
    case 'mlp_gate':
      return config.mlp_multipliers[0];
    case 'mlp_down':
      return config.mlp_multipliers[1];
    default:
      return config.ssm_multipliers[SSM_INDEX[which]];
  }
}

/** Every forward multiplier of a config. */
export function forwardMultipliers(config: FalconH1Config): Record<ForwardMultiplier, number> {
  return Object.fromEntries(FORWARD_MULTIPLIERS.map((m) => [m, forwardMultiplier(config, m)])) as Record<
    ForwardMultiplier,
    number
  >;
}

/** A copy of `config` with the given forward multipliers replaced (the others kept). */
export function withForwardMultipliers(
  config: FalconH1Config,
  values: Partial<Record<ForwardMultiplier, number>>,
): FalconH1Config {
  for (const [name, value] of Object.entries(values)) {
    if (!(FORWARD_MULTIPLIERS as readonly string[]).includes(name)) {
      throw new Error(`withForwardMultipliers: unknown forward multiplier '${name}'`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`withForwardMultipliers: '${name}' must be a finite number, got ${String(value)}`);
    }
  }
  const v = (m: ForwardMultiplier): number => values[m] ?? forwardMultiplier(config, m);
  return {
    ...config,
    embedding_multiplier: v('embedding'),
    lm_head_multiplier: v('lm_head'),
    key_multiplier: v('key'),
    attention_in_multiplier: v('attention_in'),
    attention_out_multiplier: v('attention_out'),
    ssm_in_multiplier: v('ssm_in'),
    ssm_out_multiplier: v('ssm_out'),
    mlp_multipliers: [v('mlp_gate'), v('mlp_down')],
    ssm_multipliers: [v('ssm_z'), v('ssm_x'), v('ssm_B'), v('ssm_C'), v('ssm_dt')],
  };
}
