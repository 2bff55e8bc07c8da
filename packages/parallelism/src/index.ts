/**
 * @falcon-h1/parallelism — data, tensor, mixer, context and pipeline parallelism for Falcon-H1, written against
 * the `Communicator` interface (NCCL in the CUDA backend; worker threads in `@falcon-h1/parallelism/threads` for
 * tests), and a planner that picks a layout.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/parallelism';

export {
  copyToRegion,
  gatherAlong,
  recvTensor,
  reduceFromRegion,
  scatterAlong,
  sendTensor,
} from './autograd/differentiable-collectives.js';
export {
  type CommunicationAdjoint,
  type SegmentFn,
  SegmentTape,
  type SegmentTapeOptions,
} from './autograd/segment-tape.js';
export { BackendCommunicator } from './backend-communicator.js';
export {
  type Communicator,
  checkRank,
  REDUCE_OPS,
  type RecvOp,
  type ReduceOp,
  type SendOp,
} from './communicator.js';
export {
  type ContextParallelBatch,
  type ContextParallelOptions,
  contextParallelBatch,
  contextParallelForwardBackward,
} from './context-parallel/context-parallel-model.js';
export { attendAndProject, keysValuesQueries } from './context-parallel/split-attention.js';
export {
  type DataParallelOptions,
  type DataParallelResult,
  dataParallelBackward,
} from './data-parallel/data-parallel.js';
export { type GradientBucket, GradientBuckets } from './data-parallel/gradient-buckets.js';
export {
  addReducedBuckets,
  disposeReducedBuckets,
  scaleReducedBuckets,
  shardedGradientNorm,
} from './data-parallel/sharded-gradients.js';
export { Zero1AdamW, type Zero1StepOptions } from './data-parallel/zero1-adamw.js';
export { type DeviceMesh, deviceMesh, type MeshShape, meshCoordinates } from './mesh/device-mesh.js';
export {
  type CausalLmEnds,
  causalLmEnds,
  causalLmEndsFrom,
  embeddingSegment,
  lossSegment,
} from './model/causal-lm-ends.js';
export { layerParameters } from './model/layer-parameters.js';
export { layerSegment } from './model/layer-segment.js';
export {
  cutBatch,
  disposeTokenBatch,
  evenRange,
  type HostBatch,
  hostBatch,
  type TokenBatch,
  tokenBatch,
} from './model/token-batch.js';
export { oneFOneBSchedule, type PipelineAction, pipelineStageLayers } from './pipeline-parallel/one-f-one-b.js';
export { type PipelineResult, pipelineForwardBackward } from './pipeline-parallel/pipeline-model.js';
export { type ClusterSpec, h100Cluster } from './planner/cluster.js';
export { estimateLayout, type LayoutEstimate, type Workload } from './planner/estimate.js';
export { layoutName, layoutProblem, type ParallelLayout } from './planner/layout.js';
export { type ModelCosts, modelCosts } from './planner/model-costs.js';
export { type PlannedLayout, planLayout, rankLayouts } from './planner/plan.js';
export { type PlanTableRow, planTable } from './planner/plan-table.js';
export {
  blockIndices,
  type GradientKind,
  type ParameterShard,
  shardIndices,
  shardShape,
  shardVariable,
} from './sharding/parameter-shard.js';
export {
  type BalancedMixerSplit,
  balancedMixerPlan,
  balancedMixerSplit,
  checkShardable,
  endShards,
  type LayerShardPlan,
  layerShards,
  type MixerParallelism,
  mixerParallelPlan,
  tensorParallelPlan,
} from './tensor-parallel/layer-shard-plan.js';
export { ShardedDecoderLayer } from './tensor-parallel/sharded-decoder-layer.js';
export {
  type SharedGradientEntry,
  type SharedGradientPlan,
  type SharedGradientSumOptions,
  sharedGradientPlan,
  sumSharedGradientsOnDevice,
} from './tensor-parallel/shared-gradient-sum.js';
export {
  buildTensorParallelModel,
  sumSharedGradients,
  type TensorParallelModel,
  type TensorParallelOptions,
  tensorParallelBatch,
  tensorParallelForwardBackward,
} from './tensor-parallel/tensor-parallel-model.js';
