/**
 * One optimizer step of data-parallel training with ZeRO-1 (`dataParallel.zero1`): the same passes over this
 * rank's rows as data-parallel-step.ts, but each bucket is reduce-scattered, so a rank receives only its slice of
 * the summed gradients — the slice whose AdamW state it owns (@falcon-h1/parallelism's `Zero1AdamW`). The slices of
 * the micro-batches are added, the global norm is summed from every rank's slices (so clipping and the inf/NaN skip
 * agree on every rank), and the sharded step all-gathers the updated parameters.
 *
 * The arithmetic per element is the replicated step's (same sums, same clip factor up to the norm's summation
 * order, same AdamW), so a ZeRO-1 run follows the replicated run to f32 rounding.
 */
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import {
  addReducedBuckets,
  type Communicator,
  disposeReducedBuckets,
  type GradientBucket,
  scaleReducedBuckets,
  shardedGradientNorm,
  type Zero1AdamW,
} from '@falcon-h1/parallelism';
import { type DataParallelStepOptions, rankPasses } from './data-parallel-step.js';
import type { Rows } from './packed-rows.js';
import type { StepResult } from './train-step.js';

export async function zero1DataParallelStep(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  optimizer: Zero1AdamW,
  batch: Rows,
  options: DataParallelStepOptions,
): Promise<StepResult> {
  let slices: GradientBucket[] | undefined;
  try {
    const loss = await rankPasses(comm, model, batch, options, 'reduceScatter', async (buckets) => {
      slices = await addReducedBuckets(slices, await buckets.finish());
    });
    if (slices === undefined) throw new Error('ZeRO-1 step: this rank has no rows in the batch');
    const gradNorm = await shardedGradientNorm(comm, slices);
    const applied = Number.isFinite(gradNorm);
    if (applied && options.clipNorm > 0) {
      // PyTorch's clip_grad_norm_ coefficient, as core-tensor's clipGradNorm.
      slices = await scaleReducedBuckets(slices, Math.min(1, options.clipNorm / (gradNorm + 1e-6)));
    }
    if (applied) {
      const taken = slices;
      slices = undefined; // the step disposes them
      await optimizer.step(taken, { lr: options.lr });
    }
    return { loss, gradNorm, applied };
  } finally {
    if (slices) await disposeReducedBuckets(slices);
  }
}
