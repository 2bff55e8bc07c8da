/**
 * Batch-size ramp-up (Megatron's `--rampup-batch-size start increment ramp`): the global batch starts at `start`
 * and grows by `increment` each time another rampAmount / ((end − start)/increment) units have been consumed,
 * until it reaches `end`. Units are whatever the caller counts — sequences or tokens — as long as `consumed` and
 * `rampAmount` use the same one. Also the learning-rate rule that goes with a batch change: TII scales the learning
 * rate as η ∝ √b (falcon-h1-reference.md §5).
 */
export interface BatchSizeRampOptions {
  start: number;
  end: number;
  increment: number;
  /** Units consumed over which the batch grows from start to end. */
  rampAmount: number;
}

export function validateBatchSizeRamp(options: BatchSizeRampOptions): void {
  const { start, end, increment, rampAmount } = options;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
    ['increment', increment],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`batch ramp: ${name} must be an integer ≥ 1, got ${value}`);
  }
  if (end < start) throw new Error(`batch ramp: end (${end}) is below start (${start})`);
  if ((end - start) % increment !== 0) {
    throw new Error(`batch ramp: end − start (${end - start}) is not a multiple of increment (${increment})`);
  }
  if (!(rampAmount >= 0) || !Number.isFinite(rampAmount)) {
    throw new Error(`batch ramp: rampAmount must be a finite number ≥ 0, got ${rampAmount}`);
  }
}

/** The batch size once `consumed` units have been trained on. */
export function rampedBatchSize(consumed: number, options: BatchSizeRampOptions): number {
  validateBatchSizeRamp(options);
  if (!(consumed >= 0)) throw new Error(`batch ramp: consumed must be ≥ 0, got ${consumed}`);
  const { start, end, increment, rampAmount } = options;
  const increments = (end - start) / increment;
  if (increments === 0 || consumed >= rampAmount) return end;
  const perIncrement = rampAmount / increments;
  return Math.min(end, start + Math.floor(consumed / perIncrement) * increment);
}

/** η·√(b / b₀): the learning rate for batch b when η was tuned at batch b₀. */
export function sqrtBatchScaledLr(lr: number, batch: number, baseBatch: number): number {
  if (!(batch > 0) || !(baseBatch > 0))
    throw new Error(`sqrtBatchScaledLr: batch sizes must be > 0, got ${batch}, ${baseBatch}`);
  return lr * Math.sqrt(batch / baseBatch);
}
