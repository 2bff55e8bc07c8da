/**
 * Memory per GPU and step time of a layout — a first-order model, good for ranking layouts, not for promising
 * numbers. Assumptions, each a choice a real run makes:
 *
 * - one sequence per micro-batch; 1F1B holds min(PP, M) micro-batches on the first stage;
 * - bf16 weights, f32 gradients, f32 master weights and AdamW moments sharded over DP × CP (ZeRO-1);
 * - tensor parallelism is sequence-parallel and the head is vocabulary-parallel (activations and logits / TP);
 * - activations: full recomputation keeps a layer's input per token (and one layer's working set), otherwise
 *   the layer's saved tensors (flash attention: no T² scores); recomputation costs one more forward;
 * - GEMMs lose 4 % efficiency per extra TP rank they are split over (narrower matrices); under mixer parallelism
 *   each mixer is split over half as many ranks, and the two mixers run concurrently on disjoint ranks;
 * - TP collectives are exposed; the DP gradient reduction overlaps the backward pass; context parallelism
 *   all-gathers K and V per layer (reduce-scatter backward) and passes the SSM state rank by rank;
 * - links: inside a node when the group fits in one (TP innermost, then CP), else the inter-node bandwidth.
 */
import type { ClusterSpec } from './cluster.js';
import type { ParallelLayout } from './layout.js';
import type { ModelCosts } from './model-costs.js';

export interface Workload {
  /** Tokens per sequence. */
  readonly context: number;
  /** Tokens per optimizer step, over the whole cluster. */
  readonly batchTokens: number;
  /** Full activation recomputation (what SegmentTape does) or none. */
  readonly recompute: 'full' | 'none';
}

export interface LayoutEstimate {
  /** Bytes per GPU (the first pipeline stage, the fullest). */
  readonly memory: { weights: number; optimizer: number; activations: number; logits: number; total: number };
  /** Seconds per optimizer step, and its parts. */
  readonly time: { compute: number; bubble: number; tp: number; cp: number; dp: number; pp: number; total: number };
  /** Tokens per second over the cluster. */
  readonly throughput: number;
  /** Micro-batches per data-parallel replica. */
  readonly microBatches: number;
}

const tpPenalty = (ranks: number): number => 1 + 0.04 * (ranks - 1);

export function estimateLayout(
  costs: ModelCosts,
  layout: ParallelLayout,
  cluster: ClusterSpec,
  workload: Workload,
): LayoutEstimate {
  const { dp, tp, pp, cp, mixer } = layout;
  const { context } = workload;
  const sequences = Math.max(1, Math.round(workload.batchTokens / context));
  const microBatches = Math.ceil(sequences / dp);
  const tokensPerGpu = context / cp; // of one micro-batch, before the TP split
  const stageLayers = Math.ceil(costs.layers / pp);

  // Memory.
  const layerParameters = (costs.parameters - costs.endParameters) / costs.layers;
  const shard = (stageLayers * layerParameters + costs.endParameters / (pp > 1 ? 2 : 1)) / tp;
  const weights = shard * (2 + 4);
  const optimizer = (shard * 12) / (dp * cp);
  const inFlight = Math.min(pp, microBatches);
  const perLayerToken = workload.recompute === 'full' ? (2 * costs.hiddenSize) / tp : costs.layerActivationBytes / tp;
  const workingSet = workload.recompute === 'full' ? (costs.layerActivationBytes / tp) * tokensPerGpu : 0;
  const activations = perLayerToken * tokensPerGpu * stageLayers * inFlight + workingSet;
  const logits = (tokensPerGpu * costs.vocabSize * (2 + 4)) / tp; // the last stage; counted as if it were the first
  const memory = { weights, optimizer, activations, logits, total: weights + optimizer + activations + logits };

  // Compute.
  const tokens = sequences * context;
  const recomputeFactor = workload.recompute === 'full' ? 4 / 3 : 1;
  const layerFlops = costs.layerFlopsPerToken(context) * costs.layers;
  const shares = costs.mixerShares(context);
  const mixerShare = shares.attention + shares.ssm;
  const mixerRanks = mixer ? tp / 2 : tp;
  const slowdown = mixerShare * tpPenalty(mixerRanks) + (1 - mixerShare) * tpPenalty(tp);
  const flopsPerGpu = ((layerFlops + costs.endFlopsPerToken) * tokens * recomputeFactor) / cluster.gpus;
  const compute = (flopsPerGpu / (cluster.peakFlops * cluster.gemmEfficiency)) * slowdown;
  const bubble = (compute * (pp - 1)) / microBatches;

  // Communication, per micro-batch and stage layer, for every micro-batch of the replica.
  const bandwidth = (groupSpan: number) =>
    groupSpan <= cluster.gpusPerNode ? cluster.intraNodeBandwidth : cluster.interNodeBandwidth;
  const passes = workload.recompute === 'full' ? 3 : 2; // forward (+ recomputed forward) + backward
  const ring = (n: number) => (n - 1) / n;
  const tpBytes = tp > 1 ? 4 * ring(tp) * tokensPerGpu * costs.hiddenSize * 2 : 0;
  const tpTime = ((tpBytes * passes) / bandwidth(tp)) * stageLayers * microBatches;
  const kvBytes = cp > 1 ? ring(cp) * context * (costs.kvBytesPerToken / mixerRanks) : 0;
  const chain = cp > 1 ? (cp - 1) * (cluster.messageLatency + costs.stateBytes / tp / bandwidth(tp * cp)) : 0;
  const cpTime = ((kvBytes / bandwidth(tp * cp)) * passes + 2 * chain) * stageLayers * microBatches;
  const dpBytes = dp * cp > 1 ? ring(dp * cp) * shard * (4 + 2) : 0;
  const dpTime = Math.max(0, dpBytes / bandwidth(tp * cp * dp * pp) - (2 / 3) * compute);
  const ppBytes = pp > 1 ? (2 * (tokensPerGpu * costs.hiddenSize * 2)) / tp : 0;
  const ppTime = (ppBytes / cluster.interNodeBandwidth + cluster.messageLatency) * microBatches * (pp > 1 ? 1 : 0);
  const total = compute + bubble + tpTime + cpTime + dpTime + ppTime;
  return {
    memory,
    time: { compute, bubble, tp: tpTime, cp: cpTime, dp: dpTime, pp: ppTime, total },
    throughput: tokens / total,
    microBatches,
  };
}
