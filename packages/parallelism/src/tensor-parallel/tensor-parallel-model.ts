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
import { add, dispose, ones, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { copyToRegion, gatherAlong, reduceFromRegion, scatterAlong } from '../autograd/differentiable-collectives.js';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { type CausalLmEnds, causalLmEndsFrom, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { cutBatch, evenRange, type HostBatch, type TokenBatch, tokenBatch } from '../model/token-batch.js';
import { type ParameterShard, shardVariable } from '../sharding/parameter-shard.js';
import { checkShardable, endShards, type LayerShardPlan, layerShards } from './layer-shard-plan.js';
import { ShardedDecoderLayer } from './sharded-decoder-layer.js';
import {
  type SharedGradientPlan,
  type SharedGradientSumOptions,
  sharedGradientPlan,
  sumSharedGradientsOnDevice,
} from './shared-gradient-sum.js';

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
  /** The pieces this rank shares with others, whose gradients `sumSharedGradients` sums. */
  readonly sharedGradients: SharedGradientPlan;
}

export interface TensorParallelOptions {
  /**
   * Sum the partial gradients of pieces several ranks hold (default true). False leaves each rank its own
   * contribution — for timing the layers alone, or for a caller that reduces them itself.
   */
  sumSharedGradients?: boolean;
  /** Values per all-reduced bucket of those sums (default 2²²; 1: one all-reduce per parameter). */
  sharedBucketElements?: number;
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
  const shardsOf = plans.map((rankPlans) => [
    ...endShards(config, sequenceParallel ? 'partial' : 'replicated'),
    ...rankPlans.flatMap((plan, layer) => layerShards(config, layer, plan, sequenceParallel)),
  ]);
  const shards = shardsOf[rank]!;
  const parameters = new Map<string, Variable>();
  for (const shard of shards) {
    const whole = full.get(shard.name);
    if (!whole) throw new Error(`missing parameter '${shard.name}'`);
    parameters.set(shard.name, shardVariable(whole, shard));
  }
  const layers = own.map((plan, layer) => new ShardedDecoderLayer(config, layer, plan, parameters));
  const ends = causalLmEndsFrom(parameters, config);
  const sharedGradients = sharedGradientPlan(shardsOf, rank);
  return { config, sequenceParallel, ends, layers, parameters, shards, plans, sharedGradients };
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
  options: TensorParallelOptions = {},
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
  const gradients = new Map(tape.gradients);
  if (options.sumSharedGradients ?? true) {
    await sumSharedGradients(comm, model, gradients, { bucketElements: options.sharedBucketElements });
  }
  // The step's one host read, after everything is enqueued.
  const loss = (await total.data())[0] as number;
  dispose(total === share ? [seed] : [seed, total]);
  tape.dispose();
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
 * Sums, over the group, the gradients of pieces several ranks hold (sequence-parallel norms and ends, a KV head or
 * SSM group copied on several ranks): bucketed all-reduces on the device, no host read (shared-gradient-sum.ts).
 * `tensorParallelForwardBackward` calls it unless told `sumSharedGradients: false`; a caller that reduces later
 * (e.g. after gradient accumulation) calls it itself. Every rank of `comm` must call it.
 */
export function sumSharedGradients(
  comm: Communicator,
  model: TensorParallelModel,
  gradients: Map<Variable, Tensor>,
  options: SharedGradientSumOptions = {},
): Promise<void> {
  const { dtype, backend } = model.ends.lmHead;
  return sumSharedGradientsOnDevice(
    comm,
    model.sharedGradients,
    model.parameters,
    gradients,
    { dtype, backend },
    options,
  );
}
