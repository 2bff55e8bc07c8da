/**
 * parallel-bench.ts — issue #10's benchmarks on NCCL, one process per GPU under `falcon-h1 launch`:
 *
 *   --only dp   data-parallel scaling of the 0.5B shape (falconH1Preset('0.5B'), random bf16 weights): tokens/s of a
 *               whole training step — forward and backward through @falcon-h1/parallelism's `dataParallelBackward`
 *               (gradient buckets all-reduced as the backward pass finishes them), then AdamW (f32 moments) on every
 *               parameter — at a fixed micro-batch per GPU (--batch × --tokens, default 4 × 2048), on 1, 2 and 4
 *               GPUs (groups of the launched world split off rank 0 upwards; the other ranks wait). Efficiency =
 *               tok/s(N) / (N · tok/s(1)). The buckets are issued during the backward pass and the CUDA backend
 *               runs NCCL on its side stream (native/src/comm_stream.h), so each all-reduce runs beside the
 *               backward kernels that follow it; with FALCON_H1_NCCL_STREAM=compute they run between them instead
 *               (the A/B of the overlap; parallel-run.sh's step parallel-bench-dp-compute).
 *   --only mp   mixer vs tensor parallelism on 2 GPUs: forward + backward time of the 0.5B-shaped model through
 *               `tensorParallelForwardBackward` with plain TP 2, naive MP, interleaved MP (attention and SSM heads on
 *               different GPUs) and balanced MP (some SSM heads or MLP channels moved to the attention GPU so both
 *               finish each layer together; the split comes from the layer costs measured here), and the same path
 *               on one GPU; speed-ups printed. First, what naive MP puts on each GPU is timed alone on GPU 0 (its
 *               attention rank, its SSM rank, the MLPs alone): with the whole model this gives the one-GPU cost of a
 *               layer's attention, SSM and MLP, printed above the table. Two columns per layout: the layers alone
 *               (`sumSharedGradients: false`) and the whole step with the shared-piece gradient sums (pieces both
 *               GPUs hold, e.g. TP 2's copies of 0.5B's single SSM group), bucketed all-reduces on the device;
 *               "values summed" is their volume per step. `--mp-ssm-heads K --mp-mlp-channels C` times the balanced
 *               layout with K SSM heads and C MLP channels on the attention GPU instead of the derived split.
 *
 * Timing: wall clock between backend.synchronize() calls, the slowest rank's step, median of --steps after one
 * warm-up step. Both paths recompute each layer's forward in the backward pass (the package's SegmentTape), so the
 * one-GPU figures here are below bench-model.ts's plain training step. Rank 0 prints a table and writes
 * $OUT/parallel-bench-<dp|mp>.json. A watchdog ($FH_BENCH_TIMEOUT_S, default 300 s) ends a hung run with exit 2.
 * Bundled by tools/cuda/bundle-gpu.mjs into .gpu/cuda/parallel-bench.mjs; run (tools/cuda/parallel-run.sh):
 *   node .gpu/cuda/cli.mjs launch --nproc-per-node 4 -- node .gpu/cuda/parallel-bench.mjs --only dp
 *   node .gpu/cuda/cli.mjs launch --nproc-per-node 2 -- node .gpu/cuda/parallel-bench.mjs --only mp
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCudaBackend } from '@falcon-h1/backend-cuda';
import { type DType, useBackend } from '@falcon-h1/core-tensor';
import { type FalconH1Config, falconH1ParameterCount, falconH1Preset } from '@falcon-h1/hybrid-block';
import { initProcessGroup } from '../../packages/parallelism/src/node/init-process-group.js';
import { type BenchSetup, dataParallelScaling, mixerVersusTensor } from './parallel-bench-runs.js';

const timeoutS = Number(process.env.FH_BENCH_TIMEOUT_S ?? 300);
setTimeout(() => {
  console.error(`parallel-bench: still running after ${timeoutS} s; giving up`);
  process.exit(2);
}, timeoutS * 1000).unref();

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'dp' },
    batch: { type: 'string' },
    tokens: { type: 'string', default: '2048' },
    steps: { type: 'string', default: '3' },
    dtype: { type: 'string', default: 'bf16' },
    'bucket-mb': { type: 'string', default: '25' },
    // mp: the balanced layout's split, instead of the one the measured layer costs give (both or neither).
    'mp-ssm-heads': { type: 'string' },
    'mp-mlp-channels': { type: 'string' },
  },
});
const what = args.only;
if (what !== 'dp' && what !== 'mp') throw new Error(`--only must be dp or mp, got '${what}'`);
const dtype = args.dtype as DType;
if (dtype !== 'bf16' && dtype !== 'f32') throw new Error(`--dtype must be bf16 or f32, got '${args.dtype}'`);
const batch = Number(args.batch ?? (what === 'dp' ? 4 : 2));
const tokens = Number(args.tokens);
const steps = Number(args.steps);
const bytesPerValue = dtype === 'bf16' ? 2 : 4;
const bucketElements = Math.round((Number(args['bucket-mb']) * 2 ** 20) / bytesPerValue);
if ((args['mp-ssm-heads'] === undefined) !== (args['mp-mlp-channels'] === undefined)) {
  throw new Error(
    '--mp-ssm-heads and --mp-mlp-channels go together (the balanced split: SSM heads and MLP channels on the attention GPU)',
  );
}
const balancedSplit =
  args['mp-ssm-heads'] === undefined
    ? undefined
    : { ssmHeadsOnAttention: Number(args['mp-ssm-heads']), mlpChannelsOnAttention: Number(args['mp-mlp-channels']) };

const backend = createCudaBackend();
useBackend(backend);
const world = await initProcessGroup({ backend, timeoutMs: 120_000 });
const { rank, worldSize: W } = world;
const config: FalconH1Config = falconH1Preset('0.5B').config;
const log = (line: string): void => {
  if (rank === 0) console.log(line);
};
log(
  `parallel-bench ${what}: ${W} processes, ${backend.device}, 0.5B shape (${(falconH1ParameterCount(config) / 1e9).toFixed(2)}B parameters), ${dtype}, micro-batch ${batch}×${tokens} per GPU, median of ${steps}`,
);

const setup: BenchSetup = {
  world,
  device: {
    synchronize: () => backend.synchronize(),
    resetPeak: () => backend.ctx.resetPeak(),
    peakBytes: () => backend.stats().peakBytes,
  },
  config,
  dtype,
  batch,
  tokens,
  steps,
  bucketElements,
  balancedSplit,
  log,
};
// Where the CUDA backend runs NCCL (native/src/comm_stream.h): its side stream unless told otherwise.
const ncclStream = process.env.FALCON_H1_NCCL_STREAM === 'compute' ? 'compute' : 'side';
log(`parallel-bench ${what}: NCCL on the ${ncclStream} stream`);
try {
  const result = what === 'dp' ? await dataParallelScaling(setup) : await mixerVersusTensor(setup);
  if (rank === 0 && process.env.OUT) {
    writeFileSync(
      join(process.env.OUT, `parallel-bench-${what}${ncclStream === 'compute' ? '-compute' : ''}.json`),
      `${JSON.stringify({ device: backend.device, worldSize: W, dtype, batch, tokens, steps, ncclStream, ...result }, null, 2)}\n`,
    );
  }
} catch (error) {
  // The other ranks may be waiting in a collective this rank will not join: exit now (the launcher stops them).
  console.error(`parallel-bench ${what}: rank ${rank}: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
world.destroy();
backend.dispose();
