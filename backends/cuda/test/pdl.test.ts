/**
 * Programmatic Dependent Launch on the GPU (skipped without one; native/kernels/pdl_launch.cuh). Two things the
 * conformance suite's decode chains cannot see:
 *   - when the matrix-vector MatMul loads its weight before the PDL wait: only when the stream's previous kernel is a
 *     tracked PDL kernel that does not write the weight (`stats().gemmMatVecPrefetch` counts those launches) — never
 *     right after the kernel that wrote the weight, nor after an upload; and when SsmDecodeStep reads its conv and dt
 *     parameters before the wait (`stats().ssmDecodeEarlyParameters`): after the in-projection, not after a kernel
 *     that wrote one of them (its own previous step writes the conv state) nor after an upload;
 *   - that PDL changes no bit: the same ops on a backend created with FALCON_H1_CUDA_PDL=off give the same values.
 * On a device below compute capability 9.0 `info.pdl` is false and nothing is loaded early.
 */
import {
  cast,
  copy,
  matmul,
  slice,
  ssmDecodeStepInPlace,
  swiGlu,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { createCudaBackend, isAvailable } from '../src/base.js';
import type { CudaBackend } from '../src/cuda-backend.js';

const probe = await isAvailable();

/** Deterministic values in [−2, 2). */
function values(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 4 - 2;
  });
}

const K = 264; // 528 bytes per bf16 row: the matrix-vector path's 16-byte rule holds

interface Run {
  /** gemmMatVecPrefetch increments after each MatMul of the sequence. */
  prefetched: number[];
  outputs: number[][];
}

/** A pass-through for each op of a sequence: records how much `count` (a stats() counter) grew since the last one. */
function recorder(count: () => number, into: number[]): (out: Tensor) => Tensor {
  let before = count();
  return (out) => {
    const now = count();
    into.push(now - before);
    before = now;
    return out;
  };
}

/** The tensors' values as f32 (bf16 values widen exactly: equal numbers are equal bits), then disposes them. */
async function readAndDispose(outs: Tensor[]): Promise<number[][]> {
  const outputs = await Promise.all(outs.map(async (t) => Array.from((await t.data()) as Float32Array)));
  for (const t of outs) t.dispose();
  return outputs;
}

/** MatMuls of 3 rows after: an unrelated SwiGlu, the Slice that makes their weight, another MatMul, an upload. */
async function runSequence(backend: CudaBackend): Promise<Run> {
  useBackend(backend);
  const count = () => backend.stats().gemmMatVecPrefetch;
  const prefetched: number[] = [];
  const outs = tidy(() => {
    const a = tensor(values(3 * K, 1), [3, K], 'bf16');
    const w = tensor(values(13 * K, 2), [13, K], 'bf16');
    const src = tensor(values(17 * (K + 16), 3), [17, K + 16], 'bf16');
    const gate = tensor(values(5 * 40, 4), [5, 40], 'bf16');
    const up = tensor(values(5 * 40, 5), [5, 40], 'bf16');
    const step = recorder(count, prefetched);
    const y = swiGlu(gate, up, 1);
    const afterSwiGlu = step(matmul(a, w, false, true)); // SwiGlu does not write w: early loads
    const b = slice(src, [2, 8], [13, K]);
    const afterSlice = step(matmul(a, b, false, true)); // the Slice just wrote b: wait first
    const afterMatMul = step(matmul(a, w, false, true)); // the previous MatMul wrote its output only: early loads
    const fresh = tensor(values(13 * K, 6), [13, K], 'bf16');
    const afterUpload = step(matmul(a, fresh, false, true)); // an upload (a memcpy) came last: wait first
    return [y, afterSwiGlu, afterSlice, afterMatMul, afterUpload];
  });
  return { prefetched, outputs: await readAndDispose(outs) };
}

/** SsmDecodeStepInPlace (B 3, H 4, P 8, G 1, N 16, K 4: the general kernel) after each kind of predecessor. */
async function runSsmSequence(backend: CudaBackend): Promise<Run> {
  useBackend(backend);
  const count = () => backend.stats().ssmDecodeEarlyParameters;
  const [b, h, p, n, k] = [3, 4, 8, 16, 4];
  const dSsm = h * p;
  const convDim = dSsm + 2 * n;
  const width = dSsm + convDim + h;
  const prefetched: number[] = [];
  const outs = tidy(() => {
    const a = tensor(values(b * K, 21), [b, K], 'bf16');
    const w = tensor(values(width * K, 22), [width, K], 'bf16');
    const src = tensor(values((convDim + 5) * (k + 6), 23), [convDim + 5, k + 6], 'bf16');
    const constants = {
      convWeight: tensor(values(convDim * k, 24), [convDim, k], 'bf16'),
      convBias: tensor(values(convDim, 25), [convDim], 'bf16'),
      dtBias: tensor(values(h, 26), [h]),
      A: tensor(
        values(h, 27).map((v) => -Math.exp(v)),
        [h],
      ),
      D: tensor(values(h, 28), [h]),
    };
    const convState = variable(cast(tensor(values(b * convDim * k, 29), [b, convDim, k]), 'bf16'), {
      trainable: false,
    });
    const ssmState = variable(tensor(values(b * dSsm * n, 30), [b, h, p, n]), { trainable: false });
    const states = { convState, ssmState };
    // The in-place step's group tickets are a backend constant, uploaded by its first call: made here, uncounted.
    ssmDecodeStepInPlace({ zxbcdt: tensor(values(b * width, 32), [b, width], 'bf16'), ...states, ...constants });
    const step = recorder(count, prefetched);
    const zxbcdt = matmul(a, w, false, true);
    // After the in-projection (it writes zxbcdt only): early.
    const afterProjection = step(ssmDecodeStepInPlace({ zxbcdt, ...states, ...constants }));
    // After the previous step, which wrote the conv state: wait first.
    const afterStep = step(ssmDecodeStepInPlace({ zxbcdt, ...states, ...constants }));
    // After the Slice that makes the conv weight: wait first.
    const convWeight = slice(src, [3, 5], [convDim, k]);
    const afterSlice = step(ssmDecodeStepInPlace({ zxbcdt, ...states, ...constants, convWeight }));
    // After an upload (a memcpy): wait first.
    const fresh = tensor(values(b * width, 31), [b, width], 'bf16');
    const afterUpload = step(ssmDecodeStepInPlace({ zxbcdt: fresh, ...states, ...constants }));
    return [afterProjection, afterStep, afterSlice, afterUpload, cast(convState, 'f32'), copy(ssmState)];
  });
  return { prefetched, outputs: await readAndDispose(outs) };
}

/** A backend with FALCON_H1_CUDA_PDL=off (the variable is read when a backend is created). */
function withoutPdl(): CudaBackend {
  const saved = process.env.FALCON_H1_CUDA_PDL;
  process.env.FALCON_H1_CUDA_PDL = 'off';
  try {
    return createCudaBackend();
  } finally {
    if (saved === undefined) delete process.env.FALCON_H1_CUDA_PDL;
    else process.env.FALCON_H1_CUDA_PDL = saved;
  }
}

/**
 * `sequence` on a backend with PDL and on one created with FALCON_H1_CUDA_PDL=off: the early reads it counts are
 * `early` where the device has PDL and none without it, and the values are the same.
 */
async function expectEarlyReads(early: number[], sequence: (backend: CudaBackend) => Promise<Run>): Promise<void> {
  const backend = createCudaBackend();
  const plain = withoutPdl();
  try {
    expect(backend.info.pdl).toBe(backend.info.computeCapability >= 90);
    expect(plain.info.pdl).toBe(false);
    const withPdl = await sequence(backend);
    expect(withPdl.prefetched).toEqual(backend.info.pdl ? early : early.map(() => 0));
    const without = await sequence(plain);
    expect(without.prefetched).toEqual(early.map(() => 0));
    expect(withPdl.outputs).toEqual(without.outputs);
  } finally {
    backend.dispose();
    plain.dispose();
  }
}

describe.runIf(probe.available)('CUDA Programmatic Dependent Launch', () => {
  it('loads the weight early only when the previous kernel did not write it, and changes no bit', async () => {
    await expectEarlyReads([1, 0, 1, 0], async (backend) => {
      const gemvBefore = backend.stats().gemmMatVec;
      const run = await runSequence(backend);
      expect(backend.stats().gemmMatVec - gemvBefore).toBe(4);
      return run;
    });
  });

  it('reads the SSM step conv and dt parameters early only after a kernel that wrote none of them, and changes no bit', async () => {
    await expectEarlyReads([1, 0, 0, 0], runSsmSequence);
  });
});
