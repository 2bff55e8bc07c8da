/**
 * The WSD learning-rate schedule (warm-up, stable, decay; falcon-h1-reference.md §5: "a warm-up ramp, a constant
 * stage and a decay stage per stage (WSD schedule)"), as a factor of the peak learning rate at step s (from 0):
 *
 *   warm-up  s < W:              start + (1 − start)·(s + 1)/W     (reaches 1 at s = W − 1: no step runs at lr 0)
 *   stable   W ≤ s < T − D:      1
 *   decay    T − D ≤ s < T:      floor + (1 − floor)·shape(p),  p = (s − (T − D) + 1)/D   (the last step, T − 1,
 *                                runs at exactly the floor)
 *   after    s ≥ T:              floor
 *
 * Decay shapes, p ∈ (0, 1]: `linear` 1 − p; `cosine` (1 + cos πp)/2; `1-sqrt` 1 − √p (the WSD papers' choice:
 * most of the drop comes early, then a long tail near the floor). The reference does not say which shape Falcon-H1
 * used; `linear` is the default here. `floor` is a fraction of the peak (0 decays to zero).
 */
export type DecayShape = 'linear' | 'cosine' | '1-sqrt';

export interface WsdOptions {
  /** T: the steps of the whole schedule. */
  totalSteps: number;
  /** W. */
  warmupSteps: number;
  /** D. */
  decaySteps: number;
  /** The factor warm-up starts from (default 0). */
  startFactor?: number;
  /** The factor decay ends at (default 0). */
  floorFactor?: number;
  /** Default 'linear'. */
  decay?: DecayShape;
}

export function validateWsd(options: WsdOptions): void {
  const { totalSteps: t, warmupSteps: w, decaySteps: d } = options;
  for (const [name, value] of [
    ['totalSteps', t],
    ['warmupSteps', w],
    ['decaySteps', d],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`WSD: ${name} must be an integer ≥ 0, got ${value}`);
  }
  if (w + d > t) throw new Error(`WSD: warmupSteps + decaySteps (${w} + ${d}) exceed totalSteps (${t})`);
  for (const [name, value] of [
    ['startFactor', options.startFactor ?? 0],
    ['floorFactor', options.floorFactor ?? 0],
  ] as const) {
    if (!(value >= 0 && value <= 1)) throw new Error(`WSD: ${name} must be in [0, 1], got ${value}`);
  }
  const shape = options.decay ?? 'linear';
  if (!['linear', 'cosine', '1-sqrt'].includes(shape)) {
    throw new Error(`WSD: decay must be linear, cosine or 1-sqrt, got '${shape}'`);
  }
}

function decayShape(shape: DecayShape, p: number): number {
  switch (shape) {
    case 'linear':
      return 1 - p;
    case 'cosine':
      return (1 + Math.cos(Math.PI * p)) / 2;
    case '1-sqrt':
      return 1 - Math.sqrt(p);
  }
}

/** The factor (of the peak) at step s. */
export function wsdFactor(step: number, options: WsdOptions): number {
  validateWsd(options);
  if (!Number.isInteger(step) || step < 0) throw new Error(`WSD: step must be an integer ≥ 0, got ${step}`);
  const { totalSteps: t, warmupSteps: w, decaySteps: d } = options;
  const start = options.startFactor ?? 0;
  const floor = options.floorFactor ?? 0;
  if (step >= t) return floor;
  if (step < w) return start + ((1 - start) * (step + 1)) / w;
  const decayStart = t - d;
  if (step < decayStart) return 1;
  const p = (step - decayStart + 1) / d;
  return floor + (1 - floor) * decayShape(options.decay ?? 'linear', p);
}

/** peak · wsdFactor(step). */
export function wsdLearningRate(step: number, peak: number, options: WsdOptions): number {
  return peak * wsdFactor(step, options);
}
