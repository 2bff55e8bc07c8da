/**
 * nccl-check.ts — the multi-GPU proof of the CUDA backend's NCCL collectives (issue #10 item 1), one process per
 * GPU under `falcon-h1 launch`:
 *   1. every collective of `BackendCommunicator` against its definition, computed on the host in f64 from every
 *      rank's inputs (which each rank can make: they are a formula of rank and index), in f32 and bf16: allReduce
 *      (sum, max, min, avg), reduceScatter, allGather, broadcast, send/recv (opposite orders, and grouped), barrier,
 *      split (ncclCommSplit, and the fallback through a broadcast unique id);
 *   2. one data-parallel training step of a random Falcon-H1 (tiny-a's config, f32) through @falcon-h1/parallelism's
 *      gradient buckets on the NCCL communicator: the loss and every gradient against this GPU's run of the whole
 *      batch (relative L2 ≤ 1e-5);
 *   3. the NCCL side stream's ordering: an input freed at issue, an output consumed at once (sideStreamChecks).
 * Prints one line per check and exits 1 if any fails; with $OUT set each rank writes nccl-check-rank<r>.json.
 * Bundled by tools/cuda/bundle-gpu.mjs into .gpu/cuda/nccl-check.mjs; run (see tools/cuda/gpu-run.sh for the build):
 *   node .gpu/cuda/cli.mjs launch --nproc-per-node 2 -- node .gpu/cuda/nccl-check.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCudaBackend } from '@falcon-h1/backend-cuda';
import {
  type Backend,
  type DType,
  dispose,
  fill,
  roundToDType,
  scale,
  type Tensor,
  tensor,
  useBackend,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import { parseFalconH1ConfigJson, randomFalconH1, seededRandom } from '@falcon-h1/hybrid-block';
import { BackendCommunicator } from '../../packages/parallelism/src/backend-communicator.js';
import type { Communicator, ReduceOp } from '../../packages/parallelism/src/communicator.js';
import { dataParallelBackward } from '../../packages/parallelism/src/data-parallel/data-parallel.js';
import {
  cutBatch,
  disposeTokenBatch,
  evenRange,
  hostBatch,
  tokenBatch,
} from '../../packages/parallelism/src/model/token-batch.js';
import { initProcessGroup } from '../../packages/parallelism/src/node/init-process-group.js';
import { relL2 } from './parallel-check-layouts.js';

// A rank that fails mid-collective leaves the others waiting in NCCL: give up rather than hang the device call.
setTimeout(() => {
  console.error('nccl-check: still running after 240 s; giving up');
  process.exit(2);
}, 240_000).unref();

const backend = createCudaBackend();
useBackend(backend);
const comm = await initProcessGroup({ backend, timeoutMs: 120_000 });
const { rank, worldSize: W } = comm;
const results: Array<{ check: string; ok: boolean; detail: string }> = [];

function record(check: string, ok: boolean, detail: string): void {
  results.push({ check, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${check}: ${detail}`);
}

/** Rank r's input value at flat index i (every rank can compute every rank's inputs). */
const value = (r: number, i: number): number => Math.sin(0.37 * i + 1.3 * r) * (r + 1) + 0.01 * i;
const inputOf = (r: number, size: number, dtype: DType): number[] =>
  Array.from({ length: size }, (_, i) => roundToDType(value(r, i), dtype as 'f32' | 'bf16'));

const REDUCE: Record<ReduceOp, (xs: number[]) => number> = {
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
  avg: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
};

/** Largest |got − want| / (|want| + 1e-3·scale): 0 when exact (max, min, copies). NaN makes it NaN. */
function worstError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / (Math.abs(want[i]!) + 1e-3 * scale);
    if (!(e <= worst)) worst = e; // NaN makes it NaN, which fails every bound
  }
  return worst;
}

/** Unit roundoff of a dtype NCCL sums in (round to nearest): 2⁻²⁴ for f32, 2⁻⁸ for bf16. */
const unitRoundoff = (dtype: DType): number => (dtype === 'f32' ? 2 ** -24 : 2 ** -8);

/**
 * A sum over n ranks computed in the dtype (NCCL adds in the dtype, in an order of its choosing: ring, tree) is
 * within the classical bound of recursive summation, |ŝ − s| ≤ γ₍ₙ₋₁₎·Σ|xᵣ| with γₖ = k·u / (1 − k·u), and the
 * expected value is s rounded once more (u·|s|). Returns the largest |got − want| over that bound per element
 * (≤ 1 passes). A relative bound on |want| alone is wrong beyond 2 ranks: partial sums round at their own
 * magnitude, so a sum that cancels to near zero keeps their absolute error.
 */
function worstSumError(got: ArrayLike<number>, want: ArrayLike<number>, absSum: number[], n: number, dtype: DType) {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  const u = unitRoundoff(dtype);
  const gamma = ((n - 1) * u) / (1 - (n - 1) * u);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const limit = gamma * absSum[i]! + u * Math.abs(want[i]!) + Number.MIN_VALUE;
    const e = Math.abs(got[i]! - want[i]!) / limit;
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

async function expectExact(check: string, t: Tensor, want: number[]): Promise<void> {
  const got = Array.from(await t.data(), Number);
  const err = worstError(got, want);
  record(check, err === 0, `shape [${t.shape.join(', ')}], worst relative error ${err.toExponential(2)} (exact)`);
}

/** A sum (or average: pass absSum / n) of n ranks' values checked against the summation bound. */
async function expectSum(check: string, t: Tensor, want: number[], absSum: number[], n: number, dtype: DType) {
  const got = Array.from(await t.data(), Number);
  const err = worstSumError(got, want, absSum, n, dtype);
  record(
    check,
    err <= 1,
    `shape [${t.shape.join(', ')}], worst error ${err.toFixed(3)} of the bound γ(${n - 1})·Σ|x| + u·|s| (u = 2^${Math.log2(unitRoundoff(dtype))}; ≤ 1)`,
  );
}

async function collectiveChecks(c: Communicator, label: string, backendOf: Backend): Promise<void> {
  const me = c.rank;
  const n = c.worldSize;
  for (const dtype of ['f32', 'bf16'] as const) {
    const rows = 3 * n;
    const cols = 5;
    const size = rows * cols;
    const inputs = Array.from({ length: n }, (_, r) => inputOf(r, size, dtype));
    const x = tensor(inputs[me]!, [rows, cols], dtype, backendOf);
    const absSum = Array.from({ length: size }, (_, i) => REDUCE.sum(inputs.map((v) => Math.abs(v[i]!))));
    for (const op of ['sum', 'max', 'min', 'avg'] as const) {
      const want = Array.from({ length: size }, (_, i) => roundToDType(REDUCE[op](inputs.map((v) => v[i]!)), dtype));
      const y = await c.allReduce(x, op);
      const check = `${label} allReduce ${op} ${dtype}`;
      if (op === 'max' || op === 'min') await expectExact(check, y, want);
      else if (op === 'sum') await expectSum(check, y, want, absSum, n, dtype);
      // avg: the sum's bound, then one division by n (one more rounding, inside u·|s| at the result's scale).
      else
        await expectSum(
          check,
          y,
          want,
          absSum.map((a) => a / n),
          n + 1,
          dtype,
        );
      y.dispose();
    }
    {
      const slice = size / n;
      const want = Array.from({ length: slice }, (_, i) =>
        roundToDType(REDUCE.sum(inputs.map((v) => v[me * slice + i]!)), dtype),
      );
      const y = await c.reduceScatter(x, 'sum');
      const sliceAbs = absSum.slice(me * slice, (me + 1) * slice);
      await expectSum(`${label} reduceScatter sum ${dtype}`, y, want, sliceAbs, n, dtype);
      y.dispose();
    }
    {
      const y = await c.allGather(x);
      await expectExact(`${label} allGather ${dtype}`, y, inputs.flat());
      y.dispose();
    }
    const root = n - 1;
    {
      const y = await c.broadcast(x, root);
      await expectExact(`${label} broadcast root ${root} ${dtype}`, y, inputs[root]!);
      y.dispose();
    }
    if (n > 1) {
      // A ring: rank r sends to r+1 and receives from r−1. Even ranks send first, odd ranks receive first, so that
      // NCCL's unbuffered point-to-point (a send waits for its recv) cannot deadlock.
      const next = (me + 1) % n;
      const prev = (me + n - 1) % n;
      let y: Tensor;
      if (me % 2 === 0) {
        await c.send(x, next);
        y = await c.recv(prev, x.shape, dtype);
      } else {
        y = await c.recv(prev, x.shape, dtype);
        await c.send(x, next);
      }
      await expectExact(`${label} send/recv ring ${dtype}`, y, inputs[prev]!);
      y.dispose();
    }
    x.dispose();
  }
  await c.barrier();
  record(`${label} barrier`, true, `${n} ranks`);
}

/** The grouped exchange (ncclGroupStart/End around a send and a recv in the same order on every rank). */
async function groupedExchange(): Promise<void> {
  const collectives = backend.collectives;
  const size = 7;
  const next = (rank + 1) % W;
  const prev = (rank + W - 1) % W;
  const x = tensor(inputOf(rank, size, 'f32'), [size], 'f32', backend);
  const world = comm.handle;
  collectives.groupStart();
  collectives.send(world, x, next);
  const info = collectives.recv(world, [size], 'f32', prev);
  collectives.groupEnd();
  const got = Array.from(backend.readSync(info), Number);
  backend.disposeData(info.dataId);
  x.dispose();
  const err = worstError(got, inputOf(prev, size, 'f32'));
  record('world grouped send+recv f32', err === 0, `from rank ${prev}, worst error ${err}`);
}

/** Splits: all ranks in one group with reversed keys (new rank = W−1−rank), and one group per rank. */
async function splitChecks(parent: Communicator, label: string, backendOf: Backend): Promise<void> {
  const reversed = (await parent.split(0, W - 1 - rank)) as BackendCommunicator;
  record(
    `${label} split(0, reversed key) ranks`,
    reversed.rank === W - 1 - rank && reversed.worldSize === W,
    `rank ${rank} → ${reversed.rank} of ${reversed.worldSize}`,
  );
  await collectiveChecks(reversed, `${label}/reversed`, backendOf);
  reversed.destroy();
  const alone = (await parent.split(rank)) as BackendCommunicator;
  record(
    `${label} split(rank) ranks`,
    alone.rank === 0 && alone.worldSize === 1,
    `rank ${alone.rank} of ${alone.worldSize}`,
  );
  const x = tensor(inputOf(rank, 4, 'f32'), [4], 'f32', backendOf);
  const y = await alone.allReduce(x);
  await expectExact(`${label}/alone allReduce`, y, inputOf(rank, 4, 'f32'));
  dispose([x, y]);
  alone.destroy();
}

/** One DP step of a random tiny-a model vs this GPU's run of the whole batch. */
async function dataParallelCheck(): Promise<void> {
  const configText = readFileSync(new URL('./tiny-a-config.json', import.meta.url), 'utf8');
  const config = parseFalconH1ConfigJson(configText);
  const model = randomFalconH1(config, { seed: 7, dtype: 'f32' });
  const BATCH = 4;
  const LENGTH = 24;
  const rng = seededRandom(8);
  const ids = Array.from({ length: BATCH * LENGTH }, () => Math.floor(rng.next() * config.vocab_size));
  const runs = [[10, 14], [24], [12, 5, 7], [3, 3, 18]];
  const seqIdx = runs.flatMap((row) => row.flatMap((len, doc) => new Array<number>(len).fill(doc)));
  const whole = hostBatch(ids, BATCH, LENGTH, seqIdx);

  const piece = tokenBatch(cutBatch(whole, evenRange(BATCH, W, rank, 'rows')), backend);
  const { loss, buckets } = await dataParallelBackward(comm, model, piece, { bucketElements: 20_000 });
  const summed = await buckets.summedGradients();
  disposeTokenBatch(piece);

  const names = [...model.parameters.keys()];
  const parameters = names.map((name) => model.parameters.get(name)!);
  const idsT = tensor(ids, [BATCH, LENGTH], 'i32', backend);
  const seqT = tensor(seqIdx, [BATCH, LENGTH], 'i32', backend);
  const { value: oneLoss, grads } = valueAndGrads(() => model.loss(idsT, { seqIdx: seqT }), parameters);
  const want = (await oneLoss.data())[0] as number;
  const lossErr = Math.abs(loss - want) / Math.abs(want);
  record(
    'DP step loss f32',
    lossErr <= 1e-5,
    `DP ${loss.toPrecision(9)} vs one GPU ${want.toPrecision(9)}, rel ${lossErr.toExponential(2)}`,
  );
  let worst = 0;
  let worstName = '';
  for (const [i, name] of names.entries()) {
    const g = summed.get(parameters[i]!);
    const err = g
      ? relL2(Array.from(await g.data(), Number), Array.from(await grads[i]!.data(), Number))
      : Number.POSITIVE_INFINITY;
    if (!(err <= worst)) [worst, worstName] = [err, name];
  }
  record(
    'DP step gradients f32',
    worst <= 1e-5,
    `${names.length} parameters in ${buckets.buckets.length} buckets, worst rel L2 ${worst.toExponential(2)} (${worstName})`,
  );
  dispose([oneLoss, ...grads, ...summed.values(), idsT, seqT]);
  model.dispose();
}

/**
 * The NCCL side stream (native/src/comm_stream.h): a collective runs beside the compute stream, so (1) its input may
 * be freed as soon as it is issued — the block must not be handed to compute work before the collective has read it
 * — and (2) a kernel consuming its output at once must wait for it. 64 MiB per rank so that the collective is still
 * running while the compute stream reuses memory; every value of the result must be exact (small integers).
 */
async function sideStreamChecks(): Promise<void> {
  const n = 16 * 2 ** 20;
  const want = (W * (W + 1)) / 2;
  for (let round = 0; round < 3; round++) {
    const x = fill([n], rank + 1, 'f32', backend);
    const pending = comm.allReduce(x);
    x.dispose(); // freed while the all-reduce may still read it
    const scribbles = [0, 1, 2, 3].map((k) => fill([n], -7 - k, 'f32', backend)); // same size class as x's block
    const y = await pending;
    const doubled = scale(y, 2); // consumes the output at once: must wait for the collective
    const [got, got2] = await Promise.all([y.data(), doubled.data()]);
    let bad = 0;
    let bad2 = 0;
    for (let i = 0; i < n; i++) {
      if (got[i] !== want) bad++;
      if (got2[i] !== 2 * want) bad2++;
    }
    record(
      `side stream round ${round}: input freed at issue, output consumed at once`,
      bad === 0 && bad2 === 0,
      `${n} values: ${bad} wrong in the all-reduce (want ${want}), ${bad2} wrong in its double`,
    );
    dispose([y, doubled, ...scribbles]);
  }
}

const availability = backend.collectives.availability();
console.log(`rank ${rank}/${W} on ${backend.device}; NCCL ${JSON.stringify(availability)}`);
try {
  await collectiveChecks(comm, 'world', backend);
  await groupedExchange();
  if (backend.collectives.split) await splitChecks(comm, 'ncclCommSplit', backend);
  else record('ncclCommSplit', true, 'not in this NCCL: only the broadcast fallback is checked');
  // The fallback split (a new unique id through the parent's broadcast), on a view of the backend without split.
  const withoutSplit = Object.create(backend, {
    collectives: {
      value: new Proxy(backend.collectives, {
        get: (target, key) => (key === 'split' ? undefined : Reflect.get(target, key, target)),
      }),
    },
  }) as Backend;
  const viewComm = new BackendCommunicator(withoutSplit, comm.handle, rank, W);
  await splitChecks(viewComm, 'fallback split', withoutSplit);
  await dataParallelCheck();
  await sideStreamChecks();
} catch (error) {
  record('uncaught', false, (error as Error).stack ?? String(error));
}
await comm.barrier();
comm.destroy();
const failed = results.filter((r) => !r.ok).length;
if (process.env.OUT)
  writeFileSync(
    join(process.env.OUT, `nccl-check-rank${rank}.json`),
    JSON.stringify({ rank, worldSize: W, device: backend.device, nccl: availability, results }, null, 2),
  );
console.log(`nccl-check: rank ${rank}: ${results.length - failed} passed, ${failed} failed`);
backend.dispose();
process.exitCode = failed === 0 ? 0 : 1;
