/**
 * Programmatic Dependent Launch on the GPU (skipped without one; native/kernels/pdl_launch.cuh). Two things the
 * conformance suite's decode chains cannot see:
 *   - when the matrix-vector MatMul loads its weight before the PDL wait: only when the stream's previous kernel is a
 *     tracked PDL kernel that does not write the weight (`stats().gemmMatVecPrefetch` counts those launches) — never
 *     right after the kernel that wrote the weight, nor after an upload;
 *   - that PDL changes no bit: the same ops on a backend created with FALCON_H1_CUDA_PDL=off give the same values.
 * On a device below compute capability 9.0 `info.pdl` is false and nothing is loaded early.
 */
import { matmul, slice, swiGlu, type Tensor, tensor, tidy, useBackend } from '@falcon-h1/core-tensor';
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
    let before = count();
    const step = (out: Tensor): Tensor => {
      const now = count();
      prefetched.push(now - before);
      before = now;
      return out;
    };
    const y = swiGlu(gate, up, 1);
    const afterSwiGlu = step(matmul(a, w, false, true)); // SwiGlu does not write w: early loads
    const b = slice(src, [2, 8], [13, K]);
    const afterSlice = step(matmul(a, b, false, true)); // the Slice just wrote b: wait first
    const afterMatMul = step(matmul(a, w, false, true)); // the previous MatMul wrote its output only: early loads
    const fresh = tensor(values(13 * K, 6), [13, K], 'bf16');
    const afterUpload = step(matmul(a, fresh, false, true)); // an upload (a memcpy) came last: wait first
    return [y, afterSwiGlu, afterSlice, afterMatMul, afterUpload];
  });
  // bf16 values widen to f32 exactly: equal numbers are equal bits.
  const outputs = await Promise.all(outs.map(async (t) => Array.from((await t.data()) as Float32Array)));
  for (const t of outs) t.dispose();
  return { prefetched, outputs };
}

describe.runIf(probe.available)('CUDA Programmatic Dependent Launch', () => {
  it('loads the weight early only when the previous kernel did not write it, and changes no bit', async () => {
    const backend = createCudaBackend();
    const saved = process.env.FALCON_H1_CUDA_PDL;
    process.env.FALCON_H1_CUDA_PDL = 'off';
    let plain: CudaBackend | undefined;
    try {
      plain = createCudaBackend();
    } finally {
      if (saved === undefined) delete process.env.FALCON_H1_CUDA_PDL;
      else process.env.FALCON_H1_CUDA_PDL = saved;
    }
    try {
      expect(backend.info.pdl).toBe(backend.info.computeCapability >= 90);
      expect(plain.info.pdl).toBe(false);
      const gemvBefore = backend.stats().gemmMatVec;
      const withPdl = await runSequence(backend);
      expect(backend.stats().gemmMatVec - gemvBefore).toBe(4);
      expect(withPdl.prefetched).toEqual(backend.info.pdl ? [1, 0, 1, 0] : [0, 0, 0, 0]);
      const without = await runSequence(plain);
      expect(without.prefetched).toEqual([0, 0, 0, 0]);
      expect(withPdl.outputs).toEqual(without.outputs);
    } finally {
      backend.dispose();
      plain?.dispose();
    }
  });
});
