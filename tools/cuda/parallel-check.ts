/**
 * parallel-check.ts — issue #10's equivalence tests on NCCL: every layout of @falcon-h1/parallelism (DP, ZeRO-1,
 * TP ± sequence parallel, MP naive and interleaved, CP with document resets, PP 1F1B, and at 4 ranks DP × TP and
 * DP × CP) on the communicator of `initProcessGroup`, one process per GPU, against this GPU's one-device run
 * (tiny-a with 4 layers, f32, relative L2 ≤ 1e-5; see parallel-check-layouts.ts). One PASS/FAIL/SKIP line per
 * check and rank; with $OUT set, each rank writes parallel-check-w<W>-rank<r>.json; exit 1 on any failure, 2 when
 * the watchdog ($FH_CHECK_TIMEOUT_S, default 200 s) fires — a rank that fails mid-collective leaves the others
 * waiting in NCCL. `--only <regex>` runs the layouts whose name matches (DP, ZeRO-1, TP, TP+SP, MP naive, …).
 * Bundled by tools/cuda/bundle-gpu.mjs into .gpu/cuda/parallel-check.mjs; run (tools/cuda/parallel-run.sh):
 *   node .gpu/cuda/cli.mjs launch --nproc-per-node 2 -- node .gpu/cuda/parallel-check.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCudaBackend } from '@falcon-h1/backend-cuda';
import { useBackend } from '@falcon-h1/core-tensor';
import { initProcessGroup } from '../../packages/parallelism/src/node/init-process-group.js';
import { type CheckResult, checkLayouts } from './parallel-check-layouts.js';

const timeoutS = Number(process.env.FH_CHECK_TIMEOUT_S ?? 200);
setTimeout(() => {
  console.error(`parallel-check: still running after ${timeoutS} s; giving up`);
  process.exit(2);
}, timeoutS * 1000).unref();

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const backend = createCudaBackend();
useBackend(backend);
const comm = await initProcessGroup({ backend, timeoutMs: 120_000 });
const { rank, worldSize } = comm;
console.log(`parallel-check: rank ${rank}/${worldSize} on ${backend.device}`);
const print = (r: CheckResult): void =>
  console.log(`${r.skipped ? 'SKIP' : r.ok ? 'PASS' : 'FAIL'} W=${worldSize} ${r.check}: ${r.detail}`);
let results: CheckResult[];
try {
  results = await checkLayouts(comm, readFileSync(new URL('./tiny-a-config.json', import.meta.url), 'utf8'), {
    only: values.only ? new RegExp(values.only) : undefined,
    report: print,
  });
} catch (error) {
  results = [{ check: 'setup', ok: false, detail: (error as Error).stack ?? String(error) }];
  print(results[0]!);
}
const failed = results.filter((r) => !r.ok).length;
if (process.env.OUT) {
  writeFileSync(
    join(process.env.OUT, `parallel-check-w${worldSize}-rank${rank}.json`),
    `${JSON.stringify({ rank, worldSize, device: backend.device, tolerance: 1e-5, results }, null, 2)}\n`,
  );
}
console.log(
  `parallel-check: W=${worldSize} rank ${rank}: ${results.length - failed} passed (skips included), ${failed} failed`,
);
comm.destroy();
backend.dispose();
process.exitCode = failed === 0 ? 0 : 1;
