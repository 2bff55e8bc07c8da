/**
 * What a training step does with ZeRO-1's reduce-scattered gradients before `Zero1AdamW.step`, where each rank
 * holds only its slice of every summed bucket: add the slices of several backward passes (gradient accumulation
 * over micro-batches — every pass makes the same buckets, the backward order being fixed), take the global L2 norm
 * for clipping (each rank's Σg² over its slices, summed over the ranks: the padding is zeros), and scale them.
 */
import { add, cast, dispose, mul, scale, sum, type Tensor, tidy } from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';
import type { GradientBucket } from './gradient-buckets.js';

/** A bucket whose slice is already here. */
function settled(bucket: GradientBucket, slice: Tensor): GradientBucket {
  return {
    parameters: bucket.parameters,
    sizes: bucket.sizes,
    padding: bucket.padding,
    reduced: Promise.resolve(slice),
  };
}

function sameLayout(a: GradientBucket, b: GradientBucket): boolean {
  return (
    a.padding === b.padding &&
    a.parameters.length === b.parameters.length &&
    a.parameters.every((p, i) => p === b.parameters[i] && a.sizes[i] === b.sizes[i])
  );
}

/**
 * The slices of `into` plus those of `more` (the same buckets of another backward pass), as new buckets; the
 * slices of both are disposed. Without `into`, `more` settled.
 */
export async function addReducedBuckets(
  into: readonly GradientBucket[] | undefined,
  more: readonly GradientBucket[],
): Promise<GradientBucket[]> {
  const slices = await Promise.all(more.map((b) => b.reduced));
  if (into === undefined) return more.map((b, k) => settled(b, slices[k]!));
  if (into.length !== more.length || into.some((b, k) => !sameLayout(b, more[k]!))) {
    dispose(slices);
    throw new Error('addReducedBuckets: the backward passes made different buckets (their order must not change)');
  }
  const before = await Promise.all(into.map((b) => b.reduced));
  const out = more.map((b, k) => settled(b, add(before[k]!, slices[k]!)));
  dispose([...before, ...slices]);
  return out;
}

/**
 * √(Σ g²) over every parameter's summed gradient, from the slices (a collective: every rank gets the same number).
 * Accumulated in f32 (f64 for f64 gradients), as core-tensor's globalGradNorm.
 */
export async function shardedGradientNorm(comm: Communicator, buckets: readonly GradientBucket[]): Promise<number> {
  if (buckets.length === 0) return 0; // every rank has the same buckets
  const slices = await Promise.all(buckets.map((b) => b.reduced));
  const local = tidy(() => {
    let total: Tensor | undefined;
    for (const g of slices) {
      const wide = g.dtype === 'f64' || g.dtype === 'f32' ? g : cast(g, 'f32');
      const part = sum(mul(wide, wide));
      const aligned = total && part.dtype !== total.dtype ? cast(part, total.dtype) : part;
      total = total ? add(total, aligned) : aligned;
    }
    return total!;
  });
  const all = await comm.allReduce(local).finally(() => local.dispose());
  const [value] = await all.data();
  all.dispose();
  return Math.sqrt(Number(value));
}

/** The buckets with every slice multiplied by `factor` (clipping), as new buckets; the old slices are disposed. */
export async function scaleReducedBuckets(
  buckets: readonly GradientBucket[],
  factor: number,
): Promise<GradientBucket[]> {
  const slices = await Promise.all(buckets.map((b) => b.reduced));
  const out = buckets.map((b, k) => settled(b, scale(slices[k]!, factor)));
  dispose(slices);
  return out;
}

/** Frees the slices of buckets no step will take (a skipped update). */
export async function disposeReducedBuckets(buckets: readonly GradientBucket[]): Promise<void> {
  dispose(await Promise.all(buckets.map((b) => b.reduced)));
}
