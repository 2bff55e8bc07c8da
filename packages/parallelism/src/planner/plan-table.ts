/** The planner's picks as a Markdown table: one row per (size, context), the chosen layout and its estimates. */
import { type FalconH1Size, falconH1Preset } from '@falcon-h1/hybrid-block';
import type { ClusterSpec } from './cluster.js';
import { layoutName } from './layout.js';
import { planLayout } from './plan.js';

export interface PlanTableRow {
  readonly size: FalconH1Size;
  readonly context: number;
  readonly cluster: ClusterSpec;
  readonly batchTokens: number;
}

export function planTable(rows: readonly PlanTableRow[]): string {
  const lines = [
    '| size | context | GPUs | layout | memory / GPU | step | Gtok/h |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const { size, context, cluster, batchTokens } of rows) {
    let cells: string[];
    try {
      const { layout, estimate } = planLayout(falconH1Preset(size).config, cluster, {
        context,
        batchTokens,
        recompute: 'full',
      });
      cells = [
        layoutName(layout),
        `${(estimate.memory.total / 1e9).toFixed(1)} GB`,
        `${estimate.time.total.toFixed(2)} s`,
        ((estimate.throughput * 3600) / 1e9).toFixed(2),
      ];
    } catch (error) {
      cells = [(error as Error).message, '', '', ''];
    }
    lines.push(`| ${size} | ${context} | ${cluster.gpus} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
