/**
 * Gradient bucketing for data parallelism: parameters' gradients are packed, in the order the backward pass
 * finishes them, into flat buckets of about `bucketElements` values; a full bucket's collective is *issued at
 * once* and awaited only at the end, so the reduction of late layers runs while the backward pass of early
 * layers goes on (PyTorch DDP's design). Every rank finishes gradients in the same order, so the buckets — and
 * the collectives — match.
 *
 * Two modes: 'allReduce' (plain data parallelism: every rank gets every summed gradient) and 'reduceScatter'
 * (ZeRO-1: rank r gets slice r of each summed bucket, the part of the optimizer state it owns).
 */
import { concat, dispose, reshape, split, type Tensor, type Variable, zeros } from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';

export interface GradientBucket {
  readonly parameters: readonly Variable[];
  /** Values per parameter, in order. */
  readonly sizes: readonly number[];
  /** Zeros appended so that the bucket splits into worldSize equal slices ('reduceScatter'). */
  readonly padding: number;
  /** The summed flat bucket ('allReduce') or this rank's slice of it ('reduceScatter'). */
  readonly reduced: Promise<Tensor>;
}

export class GradientBuckets {
  readonly buckets: GradientBucket[] = [];
  private pending: Array<[Variable, Tensor]> = [];
  private pendingSize = 0;

  constructor(
    private readonly comm: Communicator,
    private readonly mode: 'allReduce' | 'reduceScatter',
    private readonly bucketElements: number,
  ) {
    if (!(bucketElements > 0))
      throw new Error(`gradient buckets: bucketElements must be positive, got ${bucketElements}`);
  }

  /** A parameter's final gradient (hook it to `SegmentTape`'s onGradientReady). */
  add(parameter: Variable, gradient: Tensor): void {
    this.pending.push([parameter, gradient]);
    this.pendingSize += gradient.size;
    if (this.pendingSize >= this.bucketElements) this.issue();
  }

  /**
   * Issues the partial bucket now: call it when the backward pass is over, before the gradients handed to `add`
   * are disposed (a bucket copies its gradients when it is issued, not before).
   */
  flush(): void {
    if (this.pending.length > 0) this.issue();
  }

  /** Issues the last partial bucket and waits for every collective. */
  async finish(): Promise<GradientBucket[]> {
    this.flush();
    await Promise.all(this.buckets.map((b) => b.reduced));
    return this.buckets;
  }

  /** 'allReduce' mode: the summed gradient of every parameter (the caller disposes them). */
  async summedGradients(): Promise<Map<Variable, Tensor>> {
    if (this.mode !== 'allReduce') throw new Error('summedGradients: the buckets were reduce-scattered (ZeRO-1)');
    const out = new Map<Variable, Tensor>();
    for (const bucket of await this.finish()) {
      const flat = await bucket.reduced;
      split(flat, [...bucket.sizes], 0).forEach((part, k) => {
        const p = bucket.parameters[k]!;
        out.set(p, reshape(part, p.shape));
        part.dispose();
      });
      flat.dispose();
    }
    return out;
  }

  private issue(): void {
    const parameters = this.pending.map(([p]) => p);
    const sizes = this.pending.map(([, g]) => g.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const w = this.comm.worldSize;
    const padding = this.mode === 'reduceScatter' ? (w - (total % w)) % w : 0;
    const first = this.pending[0]![1];
    const pieces = this.pending.map(([, g]) => reshape(g, [g.size]));
    if (padding > 0) pieces.push(zeros([padding], first.dtype, first.backend));
    const flat = concat(pieces, 0);
    dispose(pieces);
    const reduced = this.mode === 'allReduce' ? this.comm.allReduce(flat) : this.comm.reduceScatter(flat);
    this.buckets.push({
      parameters,
      sizes,
      padding,
      reduced: reduced.finally(() => flat.dispose()),
    });
    this.pending = [];
    this.pendingSize = 0;
  }
}
