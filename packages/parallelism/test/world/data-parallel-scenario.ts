/** Data parallelism on this rank's rows: summed gradients, or ZeRO-1 AdamW steps. */
import { dispose } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  cutBatch,
  dataParallelBackward,
  disposeTokenBatch,
  evenRange,
  tokenBatch,
  Zero1AdamW,
} from '../../src/index.js';
import { BATCH, buildModel, byName, type ModelInput, wholeBatch } from './model-setup.js';

export const ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export interface DataParallelInput extends ModelInput {
  bucketElements: number;
  zero1Steps: number;
}

export async function dataParallelScenario(comm: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as DataParallelInput;
  const model = buildModel(options);
  const host = cutBatch(wholeBatch(options), evenRange(BATCH, comm.worldSize, comm.rank, 'rows'));
  const batch = tokenBatch(host);
  if (options.zero1Steps === 0) {
    const { loss, buckets } = await dataParallelBackward(comm, model, batch, {
      bucketElements: options.bucketElements,
    });
    const overlapped = buckets.buckets.length; // issued while the backward pass ran
    const gradients = await buckets.summedGradients();
    const grads = await byName(model, gradients);
    dispose([...gradients.values()]);
    disposeTokenBatch(batch);
    model.dispose();
    return { loss, grads, buckets: buckets.buckets.length, overlapped };
  }
  const optimizer = new Zero1AdamW(comm, ADAM);
  const losses: number[] = [];
  for (let step = 0; step < options.zero1Steps; step++) {
    const { loss, buckets } = await dataParallelBackward(comm, model, batch, {
      bucketElements: options.bucketElements,
      mode: 'reduceScatter',
    });
    await optimizer.step(await buckets.finish());
    losses.push(loss);
  }
  const stateElements = optimizer.stateElements;
  optimizer.dispose();
  disposeTokenBatch(batch);
  const params = await byName(model, 'parameters');
  model.dispose();
  return { losses, params, stateElements };
}
