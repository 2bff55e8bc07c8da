/** Tensor / mixer parallelism over the whole world: the loss and this rank's (shared-summed) gradient pieces. */
import { dispose, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import { parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import {
  type BalancedMixerSplit,
  balancedMixerPlan,
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
  type TensorParallelModel,
  tensorParallelBatch,
  tensorParallelForwardBackward,
  tensorParallelPlan,
  tokenBatch,
} from '../../src/index.js';
import { BATCH, buildModel, type ModelInput, wholeBatch } from './model-setup.js';

export interface TensorParallelInput extends ModelInput {
  layout: 'tensor' | MixerParallelism | 'balanced';
  /** The split of the 'balanced' layout. */
  split?: BalancedMixerSplit;
  sequenceParallel: boolean;
  /** Data-parallel replicas of the tensor-parallel group (a DP × TP mesh of the world); default 1. */
  dataParallel?: number;
}

/** This rank's model of the layout `options` names, over `comm`. */
export function buildScenarioModel(options: TensorParallelInput, comm: Communicator): TensorParallelModel {
  const config = parseFalconH1ConfigJson(options.configText);
  const full = buildModel(options);
  const { layout, split } = options;
  const plans: LayerShardPlan[][] = Array.from({ length: comm.worldSize }, (_, rank) =>
    Array.from({ length: config.num_hidden_layers }, (_, layer) => {
      if (layout === 'tensor') return tensorParallelPlan(config, comm.worldSize, rank);
      if (layout === 'balanced') return balancedMixerPlan(config, comm.worldSize, rank, split!);
      return mixerParallelPlan(config, comm.worldSize, rank, layer, layout);
    }),
  );
  const model = buildTensorParallelModel(config, full.parameters, plans, comm.rank, options.sequenceParallel);
  full.dispose();
  return model;
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
  const model = buildScenarioModel(options, comm);
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
  const pieces = await gradientPieces(model, gradients);
  dispose([...gradients.values(), ...model.parameters.values()]);
  disposeTokenBatch(whole);
  if (own !== whole) disposeTokenBatch(own);
  return { loss, pieces };
}

/** The rank's gradient of every piece it holds, as host values with their flat indices in the full parameter. */
export async function gradientPieces(
  model: TensorParallelModel,
  gradients: ReadonlyMap<Variable, Tensor>,
): Promise<GradientPiece[]> {
  const pieces: GradientPiece[] = [];
  for (const shard of model.shards) {
    const g = gradients.get(model.parameters.get(shard.name)!)!;
    pieces.push({ name: shard.name, indices: shardIndices(shard), values: Float64Array.from(await g.data(), Number) });
  }
  return pieces;
}
