/**
 * Pipeline parallelism across layers: stage s of the group holds consecutive layers (the first stage also the
 * embedding, the last the final norm, the head and the loss) and runs the 1F1B schedule over micro-batches.
 * A forward receives the hidden states from the previous stage and sends its output to the next; a backward
 * receives the output's gradient from the next stage and sends the input's gradient to the previous one — the
 * adjoints of the send and receive on each micro-batch's tape. Gradients accumulate over the micro-batches.
 */
import { dispose, ones, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { recvTensor, sendTensor } from '../autograd/differentiable-collectives.js';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { causalLmEnds, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { layerParameters } from '../model/layer-parameters.js';
import { layerSegment } from '../model/layer-segment.js';
import type { TokenBatch } from '../model/token-batch.js';
import { oneFOneBSchedule, pipelineStageLayers } from './one-f-one-b.js';

export interface PipelineResult {
  /** The whole batch's loss (every stage). */
  loss: number;
  /** The gradients of this stage's parameters, summed over the micro-batches. */
  gradients: Map<Variable, Tensor>;
  /** The most micro-batches whose activations this stage held at once. */
  peakInFlight: number;
}

/** Forward and backward of `microBatches` (this stage's view of each: its ids, labels, positions) with 1F1B. */
export async function pipelineForwardBackward(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  microBatches: readonly TokenBatch[],
): Promise<PipelineResult> {
  const { rank: stage, worldSize: stages } = comm;
  const [first, last] = pipelineStageLayers(model.config.num_hidden_layers, stages, stage);
  const ends = causalLmEnds(model);
  const gradients = new Map<Variable, Tensor>();
  const inFlight = new Map<number, { tape: SegmentTape; loss?: Tensor }>();
  let peakInFlight = 0;
  let lossSum = 0;

  for (const { kind, microBatch } of oneFOneBSchedule(stages, stage, microBatches.length)) {
    const batch = microBatches[microBatch]!;
    if (kind === 'forward') {
      const tape = new SegmentTape(gradients);
      const [b, t] = batch.ids.shape as [number, number];
      let h =
        stage === 0
          ? embeddingSegment(tape, ends, batch)
          : await recvTensor(tape, comm, stage - 1, [b, t, model.config.hidden_size], model.dtype);
      for (let i = first; i < last; i++) {
        h = layerSegment(tape, model.model.layers[i]!, layerParameters(model.parameters, i), h, batch);
      }
      if (stage === stages - 1) {
        const loss = lossSegment(tape, ends, h, batch);
        lossSum += (await loss.data())[0] as number;
        inFlight.set(microBatch, { tape, loss });
      } else {
        await sendTensor(tape, comm, h, stage + 1);
        inFlight.set(microBatch, { tape });
      }
      peakInFlight = Math.max(peakInFlight, inFlight.size);
    } else {
      const { tape, loss } = inFlight.get(microBatch)!;
      const seed = loss && ones([], loss.dtype, loss.backend);
      await tape.backward(loss && seed ? [[loss, seed]] : []);
      dispose(seed ? [seed] : []);
      tape.dispose();
      inFlight.delete(microBatch);
    }
  }
  // The last stage knows the loss; a sum over the group hands it to every stage.
  const share = tensor([stage === stages - 1 ? lossSum : 0], [], model.dtype);
  const total = await comm.allReduce(share);
  share.dispose();
  const loss = (await total.data())[0] as number;
  total.dispose();
  return { loss, gradients, peakInFlight };
}
