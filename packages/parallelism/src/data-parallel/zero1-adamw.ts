/**
 * ZeRO stage 1: AdamW whose state is sharded over the data-parallel ranks. Each gradient bucket (see
 * gradient-buckets.ts, 'reduceScatter' mode) is owned slice by slice: rank r keeps the f32 (f64) master copy of
 * slice r of the bucket's parameters and its two moments, updates that slice with its reduce-scattered gradient,
 * and all-gathers the updated slices so every rank holds the whole new parameters again. Optimizer memory per rank
 * drops by the data-parallel degree; communication is the same volume as a plain all-reduce (reduce-scatter +
 * all-gather).
 */
import {
  type AdamWHyper,
  adamW,
  concat,
  dispose,
  reshape,
  sliceAxis,
  split,
  type Tensor,
  type Variable,
  variable,
  zeros,
} from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';
import type { GradientBucket } from './gradient-buckets.js';

interface BucketState {
  readonly parameters: readonly Variable[];
  readonly slice: Variable;
  readonly m: Variable;
  readonly v: Variable;
}

export class Zero1AdamW {
  private readonly states: BucketState[] = [];
  private steps = 0;

  constructor(
    private readonly comm: Communicator,
    private readonly hyper: Omit<AdamWHyper, 'step'>,
  ) {}

  /** One step from the buckets of this step's backward pass; the parameters are updated in place on every rank. */
  async step(buckets: readonly GradientBucket[]): Promise<void> {
    this.steps++;
    const gathered = buckets.map(async (bucket, k) => {
      const state = this.stateFor(bucket, k);
      const gradient = await bucket.reduced;
      adamW(state.slice, gradient, state.m, state.v, { ...this.hyper, step: this.steps });
      gradient.dispose();
      return this.comm.allGather(state.slice);
    });
    for (const [k, pending] of gathered.entries()) {
      const flat = await pending;
      const bucket = buckets[k]!;
      const parts = split(
        flat,
        [...bucket.sizes, bucket.padding].filter((n) => n > 0),
        0,
      );
      bucket.parameters.forEach((p, i) => {
        const value = reshape(parts[i]!, p.shape);
        p.assign(value);
        value.dispose();
      });
      dispose([flat, ...parts]);
    }
  }

  /** Values of optimizer state (master slice + two moments) this rank holds. */
  get stateElements(): number {
    return this.states.reduce((a, s) => a + 3 * s.slice.size, 0);
  }

  dispose(): void {
    for (const s of this.states) dispose([s.slice, s.m, s.v]);
    this.states.length = 0;
  }

  private stateFor(bucket: GradientBucket, k: number): BucketState {
    const known = this.states[k];
    if (known) {
      if (
        known.parameters.length !== bucket.parameters.length ||
        known.parameters.some((p, i) => p !== bucket.parameters[i])
      ) {
        throw new Error(
          `ZeRO-1: bucket ${k} holds other parameters than at the first step (the buckets must not change)`,
        );
      }
      return known;
    }
    const first = bucket.parameters[0]!;
    const pieces: Tensor[] = bucket.parameters.map((p) => reshape(p, [p.size]));
    if (bucket.padding > 0) pieces.push(zeros([bucket.padding], first.dtype, first.backend));
    const flat = concat(pieces, 0);
    const n = flat.size / this.comm.worldSize;
    const own = sliceAxis(flat, 0, this.comm.rank * n, n);
    const momentDType = first.dtype === 'f64' ? 'f64' : 'f32';
    const moment = (): Variable => {
      const z = zeros([n], momentDType, first.backend);
      const v = variable(z);
      z.dispose();
      return v;
    };
    const state: BucketState = { parameters: bucket.parameters, slice: variable(own), m: moment(), v: moment() };
    dispose([...pieces, flat, own]);
    this.states[k] = state;
    return state;
  }
}
