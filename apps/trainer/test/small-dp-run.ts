/** The small data-parallel run data-parallel.test.ts and zero1.test.ts train, and their comparison measure. */
import { tinyRun } from './tiny-run.js';

/**
 * tiny-a on the reference backend, 3 steps of 4 rows of 24 tokens, 2-row micro-batches, clipping and decay on.
 * AdamW's eps is 1e-5, not 1e-8: with 1e-8 an element whose gradient is near zero moves by ±lr on the *sign* of
 * its rounding noise, so any two summation orders (one process with 1- or 2-row micro-batches, too) differ by
 * ~1e-5 in the update (measured: worst parameter rel L2 9.9e-6, update 2.3e-5 over 2 ranks); with 1e-5 the
 * comparison measures the gradients (parameters 4.5e-7, update 2.0e-6).
 */
export async function smallDataParallelRun(overrides: Record<string, unknown> = {}) {
  const base = (await tinyRun()).config;
  return tinyRun({
    backend: 'reference',
    steps: 3,
    data: { ...(base.data as object), seqLen: 24 },
    batch: { rows: 4, microRows: 2 },
    eval: undefined,
    schedule: { warmupSteps: 1, decaySteps: 1 },
    optimizer: { lr: 0.03, weightDecay: 0.01, clipGradNorm: 0.5, eps: 1e-5 },
    checkpoint: { every: 3, keep: 5 },
    // Small buckets: several all-reduces in flight during each backward pass.
    dataParallel: { bucketElements: 20_000 },
    ...overrides,
  });
}

/** ‖got − want‖ / ‖want‖. */
export function relativeL2(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}
