/**
 * parallel-bench-threads.ts — the CPU dry run of parallel-bench.ts: both benchmarks (DP scaling over groups of
 * 1, 2, 4 ranks; one GPU vs TP 2 vs MP naive, interleaved and balanced) with tiny-a's shapes in f32 on the reference
 * backend, over a world of worker threads. The figures mean nothing; it shows that the benchmarks' collectives,
 * splits and tables work before a GPU host times them. Bundled into .gpu/cuda/parallel-bench-threads.mjs:
 *   node .gpu/cuda/parallel-bench-threads.mjs [--world 4] [--only dp|mp]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import '@falcon-h1/backend-reference';
import { parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import { launchThreadWorld, runThreadRank } from '../../packages/parallelism/src/threads.js';
import { dataParallelScaling, mixerVersusTensor } from './parallel-bench-runs.js';

if (isMainThread) {
  const { values } = parseArgs({
    options: { world: { type: 'string', default: '4' }, only: { type: 'string' } },
  });
  if (values.only !== undefined && values.only !== 'dp' && values.only !== 'mp') {
    throw new Error(`--only must be dp or mp, got '${values.only}'`);
  }
  const configText = readFileSync(new URL('./tiny-a-config.json', import.meta.url), 'utf8');
  const ranks = await launchThreadWorld<{ lines: string[] }>({
    worldSize: Number(values.world),
    entry: fileURLToPath(import.meta.url),
    input: { configText, only: values.only },
  });
  // Rank 0's lines come back with its result (a worker's own console output may be cut when it is stopped).
  const { lines, ...results } = ranks[0]!;
  console.log(lines.join('\n'));
  console.log(JSON.stringify(results, null, 1));
} else {
  runThreadRank(async (world, input) => {
    const { configText, only } = input as { configText: string; only?: 'dp' | 'mp' };
    const setup = {
      world,
      device: { synchronize: async () => {}, resetPeak: () => {}, peakBytes: () => Number.NaN },
      config: parseFalconH1ConfigJson(configText),
      dtype: 'f32' as const,
      batch: 1,
      tokens: 24,
      steps: 1,
      bucketElements: 20_000,
      log: (line: string) => {
        lines.push(line);
      },
    };
    const lines: string[] = [];
    const dp = only === 'mp' ? undefined : await dataParallelScaling(setup);
    const mp = only === 'dp' ? undefined : await mixerVersusTensor(setup);
    return { dp, mp, lines };
  });
}
