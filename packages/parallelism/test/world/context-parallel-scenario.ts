/** Context parallelism over the whole world: the loss and the summed gradient of every parameter. */
import { dispose } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  contextParallelBatch,
  contextParallelForwardBackward,
  cutBatch,
  deviceMesh,
  disposeTokenBatch,
  evenRange,
} from '../../src/index.js';
import { BATCH, buildModel, byName, type ModelInput, wholeBatch } from './model-setup.js';

/** With `dataParallel` > 1: a DP × CP mesh of the world, rows split over the replicas. */
export async function contextParallelScenario(world: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as ModelInput & { dataParallel?: number };
  const dp = options.dataParallel ?? 1;
  const mesh = await deviceMesh(world, { dp, pp: 1, cp: world.worldSize / dp, tp: 1 });
  const model = buildModel(options);
  const rows = cutBatch(wholeBatch(options), evenRange(BATCH, dp, mesh.coordinates.dp, 'rows'));
  const batch = contextParallelBatch(rows, mesh.groups.cp);
  const { loss, gradients } = await contextParallelForwardBackward(mesh.groups.cp, model, batch, {
    bucketElements: 30_000,
    replicas: mesh.replicas,
  });
  const grads = await byName(model, gradients);
  dispose([...gradients.values(), ...(batch.keySeqIdx ? [batch.keySeqIdx] : [])]);
  disposeTokenBatch(batch);
  model.dispose();
  return { loss, grads };
}
