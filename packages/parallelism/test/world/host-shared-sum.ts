/**
 * The reference for the shared-gradient sums: the package's first implementation, kept here as the oracle. Every
 * parameter several ranks hold with partial gradients is embedded on the host into its full shape (zeros where
 * this rank holds nothing), all-reduced over the whole group, and this rank's elements read back. Slow (host
 * reads, per-element loops, full shapes) and obviously right.
 */
import { type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  endShards,
  layerShards,
  type ParameterShard,
  shardIndices,
  type TensorParallelModel,
} from '../../src/index.js';

export async function hostSharedGradientSum(
  comm: Communicator,
  model: TensorParallelModel,
  gradients: Map<Variable, Tensor>,
): Promise<void> {
  const holders = new Map<string, { shard: ParameterShard; ranks: number[] }>();
  model.plans.forEach((plans, rank) => {
    const shards = [
      ...endShards(model.config, model.sequenceParallel ? 'partial' : 'replicated'),
      ...plans.flatMap((plan, layer) => layerShards(model.config, layer, plan, model.sequenceParallel)),
    ];
    for (const shard of shards) {
      if (shard.gradient !== 'partial') continue;
      const entry = holders.get(shard.name) ?? { shard, ranks: [] };
      entry.ranks.push(rank);
      holders.set(shard.name, entry);
    }
  });
  const own = new Map(model.shards.map((s) => [s.name, s]));
  for (const [name, { shard, ranks }] of holders) {
    if (ranks.length < 2) continue;
    const embedded = new Float64Array(shard.fullShape.reduce((a, b) => a * b, 1));
    const mine = own.get(name);
    const parameter = model.parameters.get(name);
    const gradient = parameter && gradients.get(parameter);
    const indices = mine && shardIndices(mine);
    if (gradient && indices) {
      const values = await gradient.data();
      indices.forEach((flat, k) => {
        embedded[flat] = Number(values[k]);
      });
    }
    const local = tensor(embedded, shard.fullShape, model.ends.lmHead.dtype, model.ends.lmHead.backend);
    const summed = await comm.allReduce(local);
    local.dispose();
    if (parameter && gradient && indices) {
      const values = await summed.data();
      const picked = Float64Array.from(indices, (flat) => Number(values[flat]));
      gradients.set(parameter, tensor(picked, parameter.shape, parameter.dtype, parameter.backend));
      gradient.dispose();
    }
    summed.dispose();
  }
}
