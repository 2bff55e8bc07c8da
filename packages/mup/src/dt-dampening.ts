/**
 * dt dampening (falcon-h1-reference.md §5: "Large learning rates caused loss spikes that dampening dt fixed (a small
 * multiplier on the dt activation)").
 *
 * The dt activation is the dt segment of in_proj's output, the value that enters softplus(dt + dt_bias) (§2). The
 * model already multiplies that segment by a config value: `ssm_multipliers[4]`, the dt entry of the μP vector,
 * 2^−1.5 ≈ 0.354 in every published size and in the seminar table (§4, §5). That multiplier IS the dampening: no
 * separate hook exists or is needed in the mixer (`mamba2/src/falcon-h1-mixer.ts`, `project`), and a checkpoint's
 * config.json carries it. These helpers read and set it by that name.
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { forwardMultiplier, withForwardMultipliers } from './forward-multipliers.js';

/** The dt dampening factor of a config (`ssm_multipliers[4]`). */
export function dtDampening(config: FalconH1Config): number {
  return forwardMultiplier(config, 'ssm_dt');
}

/** A copy of `config` with dt dampened by `factor` (replacing `ssm_multipliers[4]`; > 0, usually < 1). */
export function withDtDampening(config: FalconH1Config, factor: number): FalconH1Config {
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new Error(`withDtDampening: the factor must be a finite number > 0, got ${factor}`);
  }
  return withForwardMultipliers(config, { ssm_dt: factor });
}
