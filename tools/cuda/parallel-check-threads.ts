/**
 * parallel-check-threads.ts — the CPU dry run of parallel-check.ts: the same layout checks
 * (parallel-check-layouts.ts) in f32 on the reference backend, over a world of worker threads instead of NCCL
 * processes. It proves the script's logic (every layout, its skips and its comparisons) before a GPU host runs it.
 * Bundled into .gpu/cuda/parallel-check-threads.mjs (one file: the main thread starts the workers from it):
 *   node .gpu/cuda/parallel-check-threads.mjs [--world 2,4] [--only <regex>]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import '@falcon-h1/backend-reference';
import { launchThreadWorld, runThreadRank } from '../../packages/parallelism/src/threads.js';
import { type CheckResult, checkLayouts } from './parallel-check-layouts.js';

interface Input {
  configText: string;
  only?: string;
}

if (isMainThread) {
  const { values } = parseArgs({ options: { world: { type: 'string', default: '2,4' }, only: { type: 'string' } } });
  const configText = readFileSync(new URL('./tiny-a-config.json', import.meta.url), 'utf8');
  let failed = 0;
  for (const worldSize of values.world.split(',').map(Number)) {
    const ranks = await launchThreadWorld<CheckResult[]>({
      worldSize,
      entry: fileURLToPath(import.meta.url),
      input: { configText, only: values.only } satisfies Input,
    });
    ranks.forEach((results, rank) => {
      for (const r of results) {
        if (!r.ok) failed++;
        console.log(
          `[rank ${rank}] ${r.skipped ? 'SKIP' : r.ok ? 'PASS' : 'FAIL'} W=${worldSize} ${r.check}: ${r.detail}`,
        );
      }
    });
  }
  console.log(`parallel-check-threads: ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
} else {
  runThreadRank(async (comm, input) => {
    const { configText, only } = input as Input;
    return checkLayouts(comm, configText, { dtype: 'f32', only: only ? new RegExp(only) : undefined });
  });
}
