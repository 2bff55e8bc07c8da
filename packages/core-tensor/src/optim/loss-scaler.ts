/**
 * Dynamic loss scaling for f16 training (the scheme of NVIDIA's mixed-precision recipe and PyTorch's GradScaler):
 * small gradients underflow in f16, so the loss is multiplied by a large scale S before backward and the gradients
 * divided by S before the optimizer. When any gradient is inf or NaN the step is skipped and S shrinks
 * (× backoffFactor); after `growthInterval` clean steps in a row S grows (× growthFactor). bf16 has f32's exponent
 * range and needs no scaling (use `MasterWeights` alone).
 *
 *   const scaled = scaler.scaleLoss(loss);                 // backward of `scaled` instead of `loss`
 *   const { grads, finite } = await scaler.unscale(g);    // g / S, and whether every value is finite
 *   if (finite) optimizer.step(grads);
 *   scaler.update(finite);                                // skip → backoff; clean run → growth
 */
import { tidy } from '../engine.js';
import { add, scale } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

export interface LossScalerOptions {
  /** Default 2^16. */
  initialScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Clean steps before growing; default 2000. */
  growthInterval?: number;
  /** The scale never goes below this (default 1). */
  minScale?: number;
}

export interface LossScalerState {
  scale: number;
  /** Clean steps since the last growth or backoff. */
  goodSteps: number;
  /** Steps skipped so far. */
  skipped: number;
}

/**
 * Whether every value of every tensor is finite: Σ (g · 0) is 0 when all are finite and NaN as soon as one is
 * inf or NaN (inf·0 = NaN) — no overflow possible, one scalar read back.
 */
export async function allFinite(tensors: readonly Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const probe = tidy(() => {
    let total: Tensor | undefined;
    for (const t of tensors) {
      const part = cast(sum(scale(t, 0)), 'f32');
      total = total ? add(total, part) : part;
    }
    return total!;
  });
  const [value] = await probe.data();
  probe.dispose();
  return Number.isFinite(Number(value));
}

export class LossScaler {
  private current: number;
  private goodSteps = 0;
  private skipped = 0;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly minScale: number;

  constructor(options: LossScalerOptions = {}) {
    this.current = options.initialScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    this.minScale = options.minScale ?? 1;
    if (!(this.current > 0) || !Number.isFinite(this.current)) {
      throw new Error(`LossScaler: initialScale must be a finite number > 0, got ${this.current}`);
    }
    if (!(this.growthFactor > 1)) throw new Error(`LossScaler: growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) {
      throw new Error(`LossScaler: backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    }
    if (!Number.isInteger(this.growthInterval) || this.growthInterval < 1) {
      throw new Error(`LossScaler: growthInterval must be an integer ≥ 1, got ${this.growthInterval}`);
    }
  }

  /** The current scale S. */
  get scale(): number {
    return this.current;
  }

  /** Steps skipped because of an inf/NaN gradient. */
  get skippedSteps(): number {
    return this.skipped;
  }

  /** loss · S (differentiate this one). */
  scaleLoss(loss: Tensor): Tensor {
    return scale(loss, this.current);
  }

  /** The gradients divided by S (new tensors; the inputs stay the caller's) and whether they are all finite. */
  async unscale(grads: readonly Tensor[]): Promise<{ grads: Tensor[]; finite: boolean }> {
    const unscaled = grads.map((g) => scale(g, 1 / this.current));
    return { grads: unscaled, finite: await allFinite(unscaled) };
  }

  /** After each step: `finite` false means the step was skipped — back off; otherwise count towards growth. */
  update(finite: boolean): void {
    if (!finite) {
      this.current = Math.max(this.minScale, this.current * this.backoffFactor);
      this.goodSteps = 0;
      this.skipped++;
      return;
    }
    this.goodSteps++;
    if (this.goodSteps >= this.growthInterval) {
      this.current *= this.growthFactor;
      this.goodSteps = 0;
    }
  }

  state(): LossScalerState {
    return { scale: this.current, goodSteps: this.goodSteps, skipped: this.skipped };
  }

  loadState(state: LossScalerState): void {
    if (!(state.scale > 0) || !Number.isFinite(state.scale))
      throw new Error(`LossScaler.loadState: bad scale ${state.scale}`);
    if (!Number.isInteger(state.goodSteps) || state.goodSteps < 0) {
      throw new Error(`LossScaler.loadState: bad goodSteps ${state.goodSteps}`);
    }
    this.current = state.scale;
    this.goodSteps = state.goodSteps;
    this.skipped = state.skipped ?? 0;
  }
}
