/**
 * The target composition of the token stream at a training step. A constant mixture is one set of weights; a
 * moving one goes from `start` at step 0 to `end` at step `steps` (and stays there), linearly or along a
 * half-cosine, as Falcon-H1 moves its data mixture over training. Weights are token proportions, in any unit
 * (fractions, percentages): they are normalised over the sources still active.
 */

export type MixtureWeights = Readonly<Record<string, number>>;

export interface MovingMixture {
  start: MixtureWeights;
  end: MixtureWeights;
  /** The step at which `end` is reached. */
  steps: number;
  /** Interpolation shape (default 'linear'). */
  shape?: 'linear' | 'cosine';
}

export type MixtureConfig = MixtureWeights | MovingMixture;

function isMoving(config: MixtureConfig): config is MovingMixture {
  return typeof (config as MovingMixture).start === 'object' && typeof (config as MovingMixture).end === 'object';
}

function weightVector(weights: MixtureWeights, names: readonly string[], what: string): Float64Array {
  for (const key of Object.keys(weights)) {
    if (!names.includes(key))
      throw new Error(`mixture ${what} names '${key}', which is not a source (${names.join(', ')})`);
  }
  const out = new Float64Array(names.length);
  names.forEach((name, i) => {
    const w = weights[name];
    if (w === undefined) throw new Error(`mixture ${what} has no weight for source '${name}'`);
    if (!(Number.isFinite(w) && w >= 0))
      throw new Error(`mixture ${what}: weight of '${name}' must be finite and >= 0, got ${w}`);
    out[i] = w;
  });
  if (out.every((w) => w === 0)) throw new Error(`mixture ${what}: every weight is 0`);
  return out;
}

export class MixtureSchedule {
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly steps: number;
  private readonly shape: 'linear' | 'cosine';

  /** `config` undefined: every source weighs the same. */
  constructor(
    readonly names: readonly string[],
    config: MixtureConfig | undefined,
  ) {
    if (config === undefined) {
      this.start = this.end = new Float64Array(names.length).fill(1);
      this.steps = 0;
      this.shape = 'linear';
    } else if (isMoving(config)) {
      if (!(Number.isFinite(config.steps) && config.steps >= 0)) {
        throw new Error(`mixture steps must be a finite number >= 0, got ${config.steps}`);
      }
      if (config.shape !== undefined && config.shape !== 'linear' && config.shape !== 'cosine') {
        throw new Error(`mixture shape must be 'linear' or 'cosine', got '${String(config.shape)}'`);
      }
      this.start = weightVector(config.start, names, 'start');
      this.end = weightVector(config.end, names, 'end');
      this.steps = config.steps;
      this.shape = config.shape ?? 'linear';
    } else {
      this.start = this.end = weightVector(config, names, 'weights');
      this.steps = 0;
      this.shape = 'linear';
    }
  }

  /** Interpolation fraction at `step`: 0 at step 0, 1 from `steps` on. */
  private progress(step: number): number {
    if (this.steps === 0) return 1;
    const t = Math.min(Math.max(step / this.steps, 0), 1);
    return this.shape === 'cosine' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  /** Weights at `step` over the active sources, normalised to sum 1 (inactive sources get 0). */
  weightsAt(step: number, active: readonly boolean[]): Float64Array {
    const t = this.progress(step);
    const out = new Float64Array(this.names.length);
    let total = 0;
    for (let i = 0; i < out.length; i++) {
      if (!active[i]) continue;
      // Written as a convex combination so that t = 1 gives `end` exactly.
      out[i] = (1 - t) * this.start[i]! + t * this.end[i]!;
      total += out[i]!;
    }
    if (total === 0) {
      const left = this.names.filter((_, i) => active[i]);
      throw new Error(
        `no source with a positive mixture weight is left at step ${step} (active: ${left.join(', ') || 'none'})`,
      );
    }
    for (let i = 0; i < out.length; i++) out[i]! /= total;
    return out;
  }
}
