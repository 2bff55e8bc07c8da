/**
 * One optimizer step of data-parallel training: this rank's rows of the global batch (rank r takes rows
 * [r·n, (r+1)·n) of the batch every rank drew identically), forward and backward per micro-batch through
 * @falcon-h1/parallelism's `dataParallelBackward` — whose gradient buckets are all-reduced while the backward pass
 * of earlier layers still runs — then the same clipping and AdamW as one process, on every rank.
 *
 * Each micro-batch's loss is its share of the *global* batch's mean (its counted pairs over the whole batch's count,
 * `hostBatch` counts them before cutting), so the all-reduced sums over ranks and micro-batches are exactly the
 * loss and gradient of one process on the whole batch, up to rounding. Every rank gets the same summed gradient
 * bits, so every rank computes the same norm and applies the same update: the replicas never drift apart.
 */
import { type AdamW, add, dispose, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import {
  type Communicator,
  cutBatch,
  dataParallelBackward,
  disposeTokenBatch,
  evenRange,
  type GradientBuckets,
  hostBatch,
  tokenBatch,
} from '@falcon-h1/parallelism';
import type { Rows } from './packed-rows.js';
import { clipAndStep, type StepResult } from './train-step.js';

export interface DataParallelStepOptions {
  /** Rows per forward/backward pass on this rank (at most its share). */
  microRows: number;
  lr: number;
  clipNorm: number;
  /** Gradient values per all-reduce bucket. */
  bucketElements: number;
}

/** Adds `more` into `into` parameter by parameter (disposing what it replaces and `more`). */
function accumulate(into: Map<Variable, Tensor>, more: Map<Variable, Tensor>): void {
  for (const [p, g] of more) {
    const before = into.get(p);
    if (before === undefined) {
      into.set(p, g);
      continue;
    }
    into.set(p, add(before, g));
    dispose([before, g]);
  }
}

/**
 * This rank's rows of the batch, one `dataParallelBackward` per micro-batch, each pass's buckets (their collectives
 * in flight) handed to `take` in turn; returns the rank's summed loss shares — the whole batch's loss.
 */
export async function rankPasses(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  batch: Rows,
  options: DataParallelStepOptions,
  mode: 'allReduce' | 'reduceScatter',
  take: (buckets: GradientBuckets) => Promise<void>,
): Promise<number> {
  const [first, end] = evenRange(batch.rows, comm.worldSize, comm.rank, 'data-parallel batch rows');
  const micro = Math.min(options.microRows, end - first);
  // Labels and the counted-pair total of the whole batch; positions as the loader made them (one process's).
  const whole = { ...hostBatch(batch.inputIds, batch.rows, batch.seqLen, batch.seqIdx), positions: batch.positions };
  let loss = 0;
  for (let row = first; row < end; row += micro) {
    const piece = tokenBatch(cutBatch(whole, [row, row + micro]));
    try {
      const result = await dataParallelBackward(comm, model, piece, { bucketElements: options.bucketElements, mode });
      loss += result.loss;
      await take(result.buckets);
    } finally {
      disposeTokenBatch(piece);
    }
  }
  return loss;
}

export async function dataParallelStep(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  optimizer: AdamW,
  batch: Rows,
  options: DataParallelStepOptions,
): Promise<StepResult> {
  const summed = new Map<Variable, Tensor>();
  try {
    const loss = await rankPasses(comm, model, batch, options, 'allReduce', async (buckets) =>
      accumulate(summed, await buckets.summedGradients()),
    );
    const names = new Map([...model.parameters].map(([name, p]) => [p, name]));
    const grads = optimizer.parameters.map((p) => {
      const g = summed.get(p);
      if (g === undefined) throw new Error(`data-parallel step: no gradient for parameter '${names.get(p) ?? '?'}'`);
      summed.delete(p);
      return g;
    });
    return { loss, ...(await clipAndStep(optimizer, grads, options.lr, options.clipNorm)) };
  } finally {
    dispose([...summed.values()]);
  }
}
