/**
 * Data parallelism: every rank holds the whole model and a slice of the batch's rows; the gradients are summed
 * over the ranks through buckets whose all-reduces (or reduce-scatters, for ZeRO-1) are issued during the backward
 * pass, layer by layer as each layer's gradients are final.
 *
 * Each rank's loss is its share of the whole batch's mean (see causal-lm-ends.ts), so summing — not averaging —
 * the shares and their gradients gives exactly the one-device loss and gradients, even when the rows hold
 * different numbers of counted tokens (packed documents).
 */
import { dispose, ones } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { causalLmEnds, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { layerParameters } from '../model/layer-parameters.js';
import { layerSegment } from '../model/layer-segment.js';
import type { TokenBatch } from '../model/token-batch.js';
import { GradientBuckets } from './gradient-buckets.js';

export interface DataParallelOptions {
  /** Values per gradient bucket (default 2²⁰, PyTorch DDP's 25 MB is ~6.5M f32 values). */
  bucketElements?: number;
  /** 'reduceScatter' for ZeRO-1 (feed the buckets to `Zero1AdamW.step`). Default 'allReduce'. */
  mode?: 'allReduce' | 'reduceScatter';
}

export interface DataParallelResult {
  /** The whole batch's loss (the sum of every rank's share). */
  loss: number;
  /** Their collectives are in flight; `summedGradients()` or `Zero1AdamW.step(await finish())` completes them. */
  buckets: GradientBuckets;
}

/** Forward and backward of this rank's rows; the gradient reduction is under way when it returns. */
export async function dataParallelBackward(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  batch: TokenBatch,
  options: DataParallelOptions = {},
): Promise<DataParallelResult> {
  const buckets = new GradientBuckets(comm, options.mode ?? 'allReduce', options.bucketElements ?? 1 << 20);
  const tape = new SegmentTape(new Map(), { onGradientReady: (p, g) => buckets.add(p, g) });
  const ends = causalLmEnds(model);
  let h = embeddingSegment(tape, ends, batch);
  model.model.layers.forEach((layer, i) => {
    h = layerSegment(tape, layer, layerParameters(model.parameters, i), h, batch);
  });
  const share = lossSegment(tape, ends, h, batch);
  const seed = ones([], share.dtype, share.backend);
  await tape.backward([[share, seed]]);
  buckets.flush(); // before the gradients it still holds are disposed below
  const total = await comm.allReduce(share);
  const loss = (await total.data())[0] as number;
  dispose([seed, total, ...tape.gradients.values()]);
  tape.dispose();
  return { loss, buckets };
}
