/**
 * Tensor parallelism (and mixer parallelism, its heterogeneous form) of the Falcon-H1 stack over one group of
 * ranks. Per layer, Megatron's pattern around the SA_M block:
 *
 *   n  = input_layernorm(h)                      replicated (or sequence-parallel: each rank its tokens)
 *   n  → copyToRegion (or all-gather along T)
 *   p  = the rank's heads of S(n) + A(n)         column-parallel in_proj/q,k,v; row-parallel out_proj/o_proj
 *   s  = all-reduce(p) (or reduce-scatter along T)
 *   h' = h + s;  m = pre_ff_layernorm(h')
 *   m  → copyToRegion (or all-gather along T)
 *   h'' = h' + all-reduce(the rank's MLP channels of MLP(m))  (or reduce-scatter along T)
 *
 * Sequence parallelism keeps the residual stream, the norms, the embedding and the loss cut along T (each rank
 * its tokens), so activations outside the mixers and the MLP are not replicated; the same volume moves (an
 * all-reduce is a reduce-scatter plus an all-gather). The mixers still see whole sequences: the conv, the scan and
 * causal attention need every earlier token.
 */
import { add, dispose, ones, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { copyToRegion, gatherAlong, reduceFromRegion, scatterAlong } from '../autograd/differentiable-collectives.js';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { type CausalLmEnds, causalLmEndsFrom, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { cutBatch, evenRange, type HostBatch, type TokenBatch, tokenBatch } from '../model/token-batch.js';
import { type ParameterShard, shardIndices, shardVariable } from '../sharding/parameter-shard.js';
import { checkShardable, endShards, type LayerShardPlan, layerShards } from './layer-shard-plan.js';
import { ShardedDecoderLayer } from './sharded-decoder-layer.js';

export interface TensorParallelModel {
  readonly config: FalconH1Config;
  readonly sequenceParallel: boolean;
  readonly ends: CausalLmEnds;
  readonly layers: ShardedDecoderLayer[];
  /** This rank's pieces, by Hugging Face name. */
  readonly parameters: ReadonlyMap<string, Variable>;
  readonly shards: readonly ParameterShard[];
  /** `plans[rank][layer]`: every rank's plan (to know which pieces several ranks share). */
  readonly plans: readonly (readonly LayerShardPlan[])[];
}

/**
 * This rank's model, cut from the full parameters under `plans[comm.rank]` (one plan per layer; every rank's
 * plans are given so that shared pieces are known).
 */
export function buildTensorParallelModel(
  config: FalconH1Config,
  full: ReadonlyMap<string, Variable>,
  plans: readonly (readonly LayerShardPlan[])[],
  rank: number,
  sequenceParallel: boolean,
): TensorParallelModel {
  checkShardable(config);
  const own = plans[rank]!;
  if (own.length !== config.num_hidden_layers) {
    throw new Error(`tensor parallelism: ${own.length} layer plans for ${config.num_hidden_layers} layers`);
  }
  const shards = [
    ...endShards(config, sequenceParallel ? 'partial' : 'replicated'),
    ...own.flatMap((plan, layer) => layerShards(config, layer, plan, sequenceParallel)),
  ];
  const parameters = new Map<string, Variable>();
  for (const shard of shards) {
    const whole = full.get(shard.name);
    if (!whole) throw new Error(`missing parameter '${shard.name}'`);
    parameters.set(shard.name, shardVariable(whole, shard));
  }
  const layers = own.map((plan, layer) => new ShardedDecoderLayer(config, layer, plan, parameters));
  return { config, sequenceParallel, ends: causalLmEndsFrom(parameters, config), layers, parameters, shards, plans };
}

/** The batch a rank of the group computes with: the whole batch, or (sequence-parallel) its tokens. */
export function tensorParallelBatch(model: TensorParallelModel, comm: Communicator, host: HostBatch): TokenBatch {
  if (!model.sequenceParallel) return tokenBatch(host);
  return tokenBatch(cutBatch(host, [0, host.batch], evenRange(host.length, comm.worldSize, comm.rank, 'sequence')));
}

/**
 * Forward and backward of the whole batch over the group: the loss (every rank) and this rank's gradients, summed
 * with the other holders' where pieces are shared — ready for the optimizer of each piece.
 */
export async function tensorParallelForwardBackward(
  comm: Communicator,
  model: TensorParallelModel,
  whole: TokenBatch,
  own: TokenBatch,
): Promise<{ loss: number; gradients: Map<Variable, Tensor> }> {
  const tape = new SegmentTape();
  const sp = model.sequenceParallel;
  const enter = (x: Tensor) => (sp ? gatherAlong(tape, comm, x, 1) : Promise.resolve(copyToRegion(tape, comm, x)));
  const leave = (x: Tensor) => (sp ? scatterAlong(tape, comm, x, 1) : reduceFromRegion(tape, comm, x));
  const context = whole.seqIdx ? [whole.positions, whole.seqIdx] : [whole.positions];

  let h = embeddingSegment(tape, model.ends, own);
  for (const layer of model.layers) {
    const [n] = tape.segment(([x]) => [layer.input_layernorm.forward(x!)], [h], [layer.input_layernorm.weight]);
    const [partial] = tape.segment(
      ([x, positions, seqIdx]) => [layer.mixers(x!, positions!, seqIdx)],
      [await enter(n!), ...context],
      layerMixerParameters(layer),
    );
    const mixed = await leave(partial!);
    const [residual, m] = tape.segment(
      ([x, s]) => {
        const r = add(x!, s!);
        return [r, layer.pre_ff_layernorm.forward(r)];
      },
      [h, mixed],
      [layer.pre_ff_layernorm.weight],
    );
    const [mlp] = tape.segment(([x]) => [layer.feed_forward.forward(x!)], [await enter(m!)], layerMlpParameters(layer));
    const summed = await leave(mlp!);
    [h] = tape.segment(([x, y]) => [add(x!, y!)], [residual!, summed]);
  }
  const share = lossSegment(tape, model.ends, h, own);
  const seed = ones([], share.dtype, share.backend);
  await tape.backward([[share, seed]]);
  const total = sp ? await comm.allReduce(share) : share;
  const loss = (await total.data())[0] as number;
  dispose(total === share ? [seed] : [seed, total]);
  const gradients = new Map(tape.gradients);
  tape.dispose();
  await sumSharedGradients(comm, model, gradients);
  return { loss, gradients };
}

function layerMixerParameters(layer: ShardedDecoderLayer): Variable[] {
  const others = new Set([layer.input_layernorm.weight, layer.pre_ff_layernorm.weight, ...layerMlpParameters(layer)]);
  return layer.parameters.filter((p) => !others.has(p));
}

function layerMlpParameters(layer: ShardedDecoderLayer): Variable[] {
  const { gate_proj, up_proj, down_proj } = layer.feed_forward;
  return [gate_proj.weight, up_proj.weight, down_proj.weight];
}

/**
 * Sums the gradients of pieces held by several ranks with partial gradients (sequence-parallel norms and ends, a
 * KV head or SSM group copied on several ranks). Every rank walks the same list — derived from every rank's
 * plan — so the collectives match; a rank that holds nothing of a parameter contributes zeros. Correctness
 * first: the sum runs over the whole group in the full shape (a production version reduces over the holders'
 * sub-communicator only).
 */
async function sumSharedGradients(
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
    const size = shard.fullShape.reduce((a, b) => a * b, 1);
    const embedded = new Float64Array(size);
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
    const dtype = model.ends.lmHead.dtype;
    const local = tensor(embedded, shard.fullShape, dtype, model.ends.lmHead.backend);
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
