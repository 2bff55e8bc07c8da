/**
 * The planner: every DP × TP × PP × CP (× MP) layout of the cluster that this package can run for the config
 * and that fits in memory, ranked by estimated step time. Powers of two for TP (inside a node), CP and PP, as
 * clusters are built; each data-parallel replica needs at least one sequence of the batch.
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import type { ClusterSpec } from './cluster.js';
import { estimateLayout, type LayoutEstimate, type Workload } from './estimate.js';
import { layoutProblem, type ParallelLayout } from './layout.js';
import { modelCosts } from './model-costs.js';

export interface PlannedLayout {
  readonly layout: ParallelLayout;
  readonly estimate: LayoutEstimate;
}

const powersOfTwo = (max: number): number[] => {
  const out: number[] = [];
  for (let n = 1; n <= max; n *= 2) out.push(n);
  return out;
};

/** Every runnable layout that fits, fastest first (empty: nothing fits — the error says so in `planLayout`). */
export function rankLayouts(config: FalconH1Config, cluster: ClusterSpec, workload: Workload): PlannedLayout[] {
  const costs = modelCosts(config);
  const sequences = Math.max(1, Math.round(workload.batchTokens / workload.context));
  const out: PlannedLayout[] = [];
  for (const tp of powersOfTwo(cluster.gpusPerNode)) {
    for (const mixer of [false, true]) {
      for (const pp of powersOfTwo(Math.min(config.num_hidden_layers, cluster.gpus))) {
        for (const cp of powersOfTwo(cluster.gpus)) {
          const rest = cluster.gpus / (tp * pp * cp);
          if (!Number.isInteger(rest) || rest < 1 || rest > sequences) continue;
          const layout = { dp: rest, tp, pp, cp, mixer };
          if (layoutProblem(config, layout, workload.context)) continue;
          const estimate = estimateLayout(costs, layout, cluster, workload);
          if (estimate.memory.total <= cluster.memoryBytes) out.push({ layout, estimate });
        }
      }
    }
  }
  return out.sort((a, b) => a.estimate.time.total - b.estimate.time.total);
}

/** The fastest layout that fits. */
export function planLayout(config: FalconH1Config, cluster: ClusterSpec, workload: Workload): PlannedLayout {
  const [best] = rankLayouts(config, cluster, workload);
  if (!best) {
    throw new Error(
      `no layout of ${cluster.gpus} GPUs fits ${(cluster.memoryBytes / 1e9).toFixed(0)} GB per GPU for context ${workload.context}`,
    );
  }
  return best;
}
