/** Pipeline parallelism over the whole world, one row per micro-batch: the loss and this stage's gradients. */
import { dispose, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  cutBatch,
  disposeTokenBatch,
  pipelineForwardBackward,
  tokenBatch,
} from '../../src/index.js';
import { BATCH, buildModel, type ModelInput, wholeBatch } from './model-setup.js';

export async function pipelineScenario(comm: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as ModelInput;
  const model = buildModel(options);
  const host = wholeBatch(options);
  const microBatches = Array.from({ length: BATCH }, (_, row) => tokenBatch(cutBatch(host, [row, row + 1])));
  const { loss, gradients, peakInFlight } = await pipelineForwardBackward(comm, model, microBatches);
  const names = new Map<Variable, string>([...model.parameters].map(([name, p]) => [p, name]));
  const grads: Record<string, Float64Array> = {};
  for (const [p, g] of gradients as Map<Variable, Tensor>)
    grads[names.get(p)!] = Float64Array.from(await g.data(), Number);
  dispose([...gradients.values()]);
  for (const b of microBatches) disposeTokenBatch(b);
  model.dispose();
  return { loss, grads, peakInFlight };
}
