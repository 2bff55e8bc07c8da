/** Tensor / mixer parallelism over the whole world: the loss and this rank's (shared-summed) gradient pieces. */
import { dispose, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import { parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import {
  buildTensorParallelModel,
  type Communicator,
  cutBatch,
  deviceMesh,
  disposeTokenBatch,
  evenRange,
  type LayerShardPlan,
  type MixerParallelism,
  mixerParallelPlan,
  shardIndices,
  tensorParallelBatch,
  tensorParallelForwardBackward,
  tensorParallelPlan,
  tokenBatch,
} from '../../src/index.js';
import { BATCH, buildModel, type ModelInput, wholeBatch } from './model-setup.js';

export interface TensorParallelInput extends ModelInput {
  layout: 'tensor' | MixerParallelism;
  sequenceParallel: boolean;
  /** Data-parallel replicas of the tensor-parallel group (a DP × TP mesh of the world); default 1. */
  dataParallel?: number;
}

/** What a rank holds of one parameter's gradient. */
export interface GradientPiece {
  name: string;
  indices: Int32Array;
  values: Float64Array;
}

export async function tensorParallelScenario(world: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as TensorParallelInput;
  const dp = options.dataParallel ?? 1;
  const mesh = await deviceMesh(world, { dp, pp: 1, cp: 1, tp: world.worldSize / dp });
  const comm = mesh.groups.tp;
  const config = parseFalconH1ConfigJson(options.configText);
  const full = buildModel(options);
  const plans: LayerShardPlan[][] = Array.from({ length: comm.worldSize }, (_, rank) =>
    Array.from({ length: config.num_hidden_layers }, (_, layer) =>
      options.layout === 'tensor'
        ? tensorParallelPlan(config, comm.worldSize, rank)
        : mixerParallelPlan(config, comm.worldSize, rank, layer, options.layout),
    ),
  );
  const model = buildTensorParallelModel(config, full.parameters, plans, comm.rank, options.sequenceParallel);
  full.dispose();
  const host = cutBatch(wholeBatch(options), evenRange(BATCH, dp, mesh.coordinates.dp, 'rows'));
  const whole = tokenBatch(host);
  const own = tensorParallelBatch(model, comm, host);
  const result = await tensorParallelForwardBackward(comm, model, whole, own);
  // Data parallelism across the groups: the same piece on every replica, summed.
  const gradients = new Map<Variable, Tensor>();
  for (const [p, g] of result.gradients) {
    gradients.set(p, await mesh.groups.dp.allReduce(g));
    g.dispose();
  }
  const lossShare = tensor([result.loss], [], 'f64');
  const total = await mesh.groups.dp.allReduce(lossShare);
  const loss = (await total.data())[0]!;
  dispose([lossShare, total]);
  const pieces: GradientPiece[] = [];
  for (const shard of model.shards) {
    const g = gradients.get(model.parameters.get(shard.name)!)!;
    pieces.push({ name: shard.name, indices: shardIndices(shard), values: Float64Array.from(await g.data(), Number) });
  }
  dispose([...gradients.values(), ...model.parameters.values()]);
  disposeTokenBatch(whole);
  if (own !== whole) disposeTokenBatch(own);
  return { loss, pieces };
}
