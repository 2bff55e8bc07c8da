// Prints the planner's layout for every published size at 4K–262K context (build first: pnpm nx build
// @falcon-h1/parallelism). Usage: node packages/parallelism/scripts/plan-table.mjs [gpus-for-34B] [batch-tokens]
import { FALCON_H1_SIZES } from '@falcon-h1/hybrid-block';
import { h100Cluster, planTable } from '../dist/index.js';

const gpus34B = Number(process.argv[2] ?? 3072);
const batchTokens = Number(process.argv[3] ?? 16 * 2 ** 20);
const rows = FALCON_H1_SIZES.flatMap((size) =>
  [4096, 16384, 65536, 262144].map((context) => ({
    size,
    context,
    cluster: h100Cluster(size === '34B' ? gpus34B : 256),
    batchTokens,
  })),
);
console.log(`H100 80 GB, 8 per node; ${batchTokens} tokens per step; full recomputation\n`);
console.log(planTable(rows));
