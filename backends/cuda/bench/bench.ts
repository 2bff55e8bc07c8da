/**
 * bench.ts — a first benchmark of the CUDA backend on the GPU host (bundled by tools/cuda/bundle-gpu.mjs):
 *   GEMM   MatMul through the backend (cuBLASLt, f32 accumulation) at square sizes, bf16, f32 and f32 in the
 *          opt-in TF32 mode: TFLOP/s
 *          = 2·M·N·K·iterations / time between two synchronize() calls (launch overhead included).
 *   copy   the Copy kernel (device-to-device memcpy) on 1 GiB: GB/s counting bytes read + written.
 * Prints a table; writes bench-cuda.json into $OUT when set. torch.matmul runs beside it (tools/cuda/bench_torch.py).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16Bits, type TensorInfo } from '@falcon-h1/core-tensor';
import { createCudaBackend } from '../src/base.js';

const backend = createCudaBackend();

function random(n: number, dtype: 'f32' | 'bf16'): Float32Array | Uint16Array {
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
  if (dtype === 'f32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = next();
    return out;
  }
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = f32ToBf16Bits(next());
  return out;
}

function tensorOf(shape: number[], dtype: 'f32' | 'bf16'): TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  return { dataId: backend.write(random(size, dtype), shape, dtype), shape, dtype };
}

interface Row {
  what: string;
  dtype: string;
  size: string;
  ms: number;
  rate: number;
  unit: string;
}
const rows: Row[] = [];

async function gemm(n: number, dtype: 'f32' | 'bf16', iterations: number): Promise<void> {
  const a = tensorOf([n, n], dtype);
  const b = tensorOf([n, n], dtype);
  const once = () => backend.release(backend.kernels.MatMul({ a, b }, { transposeA: false, transposeB: false }));
  for (let i = 0; i < 3; i++) once();
  await backend.synchronize();
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) once();
    await backend.synchronize();
    times.push((performance.now() - t0) / iterations);
  }
  times.sort((x, y) => x - y);
  const ms = times[Math.floor(times.length / 2)]!;
  rows.push({ what: 'MatMul', dtype, size: `${n}x${n}x${n}`, ms, rate: (2 * n ** 3) / (ms * 1e9), unit: 'TFLOP/s' });
  backend.release(a);
  backend.release(b);
}

async function copy(bytes: number, iterations: number): Promise<void> {
  const x = tensorOf([bytes / 4], 'f32');
  const once = () => backend.release(backend.kernels.Copy({ x }, {}));
  for (let i = 0; i < 3; i++) once();
  await backend.synchronize();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) once();
  await backend.synchronize();
  const ms = (performance.now() - t0) / iterations;
  rows.push({
    what: 'Copy',
    dtype: 'f32',
    size: `${bytes / 2 ** 30} GiB`,
    ms,
    rate: (2 * bytes) / (ms * 1e6),
    unit: 'GB/s',
  });
  backend.release(x);
}

await gemm(4096, 'bf16', 20);
await gemm(8192, 'bf16', 10);
await gemm(4096, 'f32', 10);
// The opt-in TF32 mode (createCudaBackend({ tf32: true })) on the same product; plans are keyed by the mode.
backend.ctx.setTf32(true);
await gemm(4096, 'f32', 10);
rows[rows.length - 1]!.dtype = 'tf32';
backend.ctx.setTf32(false);
await copy(2 ** 30, 20);
const stats = backend.stats();
console.log(`bench: ${backend.device}`);
for (const r of rows)
  console.log(
    `${r.what.padEnd(7)} ${r.dtype.padEnd(5)} ${r.size.padEnd(16)} ${r.ms.toFixed(3).padStart(9)} ms  ${r.rate.toFixed(1).padStart(7)} ${r.unit}`,
  );
console.log(
  `allocator: ${stats.mallocCalls} cudaMalloc calls, ${stats.reuses} reuses; GEMM: ${stats.gemmCublasLt} cuBLASLt, ${stats.gemmFallback} fallback`,
);
if (process.env.OUT)
  writeFileSync(
    join(process.env.OUT, 'bench-cuda.json'),
    `${JSON.stringify({ device: backend.device, rows, stats }, null, 2)}\n`,
  );
backend.dispose();
