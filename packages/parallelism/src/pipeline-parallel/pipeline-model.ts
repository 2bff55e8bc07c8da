/**
 * Pipeline parallelism across layers: stage s of the group holds consecutive layers (the first stage also the
 * embedding, the last the final norm, the head and the loss) and runs the 1F1B schedule over micro-batches.
 * A forward takes the hidden states received from the previous stage and hands its output to the next; a
 * backward takes the output's gradient from the next stage and hands the input's gradient to the previous one.
 * The transfers are not on the micro-batch's tape: `pipelineSteps` groups each step's sends with the next step's
 * receives into one `exchange` (an NCCL group), which is what keeps neighbouring stages that send to each other
 * at the same time from deadlocking on NCCL. Gradients accumulate over the micro-batches.
 */
import { add, cast, copy, type DType, dispose, ones, type Tensor, type Variable, zeros } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { causalLmEnds, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { layerParameters } from '../model/layer-parameters.js';
import { layerSegment } from '../model/layer-segment.js';
import type { TokenBatch } from '../model/token-batch.js';
import { pipelineStageLayers } from './one-f-one-b.js';
import { type PipelineTransfer, pipelineSteps } from './pipeline-steps.js';

export interface PipelineResult {
  /** The whole batch's loss (every stage). */
  loss: number;
  /** The gradients of this stage's parameters, summed over the micro-batches. */
  gradients: Map<Variable, Tensor>;
  /** The most micro-batches whose activations this stage held at once. */
  peakInFlight: number;
}

/** A micro-batch between its forward and its backward on this stage. */
interface InFlight {
  readonly tape: SegmentTape;
  /** The hidden states received from the previous stage (stage > 0). */
  readonly input?: Tensor;
  /** The hidden states handed to the next stage (owned by the tape), or the loss share (last stage). */
  readonly output: Tensor;
}

/** Forward and backward of `microBatches` (this stage's view of each: its ids, labels, positions) with 1F1B. */
export async function pipelineForwardBackward(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  microBatches: readonly TokenBatch[],
): Promise<PipelineResult> {
  const { rank: stage, worldSize: stages } = comm;
  const last = stage === stages - 1;
  const [firstLayer, endLayer] = pipelineStageLayers(model.config.num_hidden_layers, stages, stage);
  const ends = causalLmEnds(model);
  const gradients = new Map<Variable, Tensor>();
  const inFlight = new Map<number, InFlight>();
  // Received and not yet used: activations (for forwards) and output gradients (for backwards), by micro-batch.
  const received = { activation: new Map<number, Tensor>(), gradient: new Map<number, Tensor>() };
  // Input gradients computed by backwards, waiting for the exchange that sends them.
  const inputGradients = new Map<number, Tensor>();
  let peakInFlight = 0;
  // The last stage's loss shares, summed on the device (f32 for half types): read once, after the schedule —
  // a read per micro-batch would stall the host's queue of this stage in the middle of the pipeline.
  const lossDType: DType = model.dtype === 'f64' ? 'f64' : 'f32';
  let lossSum: Tensor | undefined;

  const hiddenShape = (microBatch: number): number[] => {
    const [b, t] = microBatches[microBatch]!.ids.shape as [number, number];
    return [b, t, model.config.hidden_size];
  };
  const outgoing = ({ what, microBatch }: PipelineTransfer): Tensor =>
    what === 'activation' ? inFlight.get(microBatch)!.output : inputGradients.get(microBatch)!;

  for (const step of pipelineSteps(stages, stage, microBatches.length)) {
    if (step.kind === 'exchange') {
      const got = await comm.exchange(
        step.sends.map((t) => ({ x: outgoing(t), dst: t.peer })),
        step.recvs.map((t) => ({ src: t.peer, shape: hiddenShape(t.microBatch), dtype: model.dtype })),
      );
      step.recvs.forEach((t, k) => {
        received[t.what].set(t.microBatch, got[k]!);
      });
      for (const t of step.sends) {
        if (t.what === 'gradient') {
          inputGradients.get(t.microBatch)!.dispose();
          inputGradients.delete(t.microBatch);
        }
      }
      continue;
    }
    const { kind, microBatch } = step.action;
    const batch = microBatches[microBatch]!;
    if (kind === 'forward') {
      const tape = new SegmentTape(gradients);
      const input = stage > 0 ? take(received.activation, microBatch) : undefined;
      let h = input ?? embeddingSegment(tape, ends, batch);
      for (let i = firstLayer; i < endLayer; i++) {
        h = layerSegment(tape, model.model.layers[i]!, layerParameters(model.parameters, i), h, batch);
      }
      if (last) {
        h = lossSegment(tape, ends, h, batch);
        lossSum = addLossShare(lossSum, h, lossDType);
      }
      inFlight.set(microBatch, { tape, input, output: h });
      peakInFlight = Math.max(peakInFlight, inFlight.size);
    } else {
      const { tape, input, output } = take(inFlight, microBatch);
      const seed = last ? ones([], output.dtype, output.backend) : take(received.gradient, microBatch);
      const [inputGradient] = await tape.backward([[output, seed]], input ? [input] : []);
      if (inputGradient) inputGradients.set(microBatch, inputGradient);
      dispose(input ? [seed, input] : [seed]);
      tape.dispose();
    }
  }
  // The last stage knows the loss; a sum over the group hands it to every stage.
  const share = lossSum ?? zeros([], lossDType);
  const total = await comm.allReduce(share);
  share.dispose();
  const loss = (await total.data())[0] as number;
  total.dispose();
  return { loss, gradients, peakInFlight };
}

/** sum + share in `dtype`, as a tensor of its own (the share belongs to its micro-batch's tape). */
function addLossShare(sum: Tensor | undefined, share: Tensor, dtype: DType): Tensor {
  const wide = share.dtype === dtype ? copy(share) : cast(share, dtype);
  if (!sum) return wide;
  const next = add(sum, wide);
  dispose([sum, wide]);
  return next;
}

/** Removes and returns `key`'s entry (the schedule guarantees it is there). */
function take<V>(map: Map<number, V>, key: number): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`pipeline: micro-batch ${key} is not where the schedule puts it`);
  map.delete(key);
  return value;
}
