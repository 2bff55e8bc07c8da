/**
 * attention.ts — the fast attention paths of the CUDA backend (tensor cores for f16/bf16 with head dim 64/128,
 * split-K decode for T ≤ 4) checked and timed on a GPU, at sizes the conformance suite's tiny cases don't reach:
 *   1. correctness: forward and all three gradients against a float64 attention computed here, from the very
 *      values the GPU holds (inputs rounded to the dtype), with the conformance bounds (relative L2: bf16 1e-2,
 *      f16 5e-3, f32 1e-5); causal and not, T < S, documents (one-token documents, rows with no visible key),
 *      GQA, decode;
 *   2. timing (median of 5 samples of 10 calls queued between synchronize() calls, after a warm-up) at
 *      Falcon-H1-0.5B sizes, bf16 (and Dh = 128):
 *      forward and forward+backward, TFLOP/s counted as 4·T²·Hq·Dh/2 per sequence for causal forward and 2.5×
 *      that for backward; decode T = 1 against S keys.
 * Run with FALCON_H1_CUDA_ATTENTION=cuda-cores for the CUDA-core kernels, FH_ATTENTION_CHECKS_ONLY=1 for part 1 only,
 * FH_ATTENTION_TIMINGS_ONLY=1 for part 2 only (e.g. under nsys for the kernels' own times). Exit code 1 when a check fails.
 * On a GPU host: bench/attention-gpu.sh (the bundle is self-contained: .gpu/attention.mjs, see there).
 */
import type { DType, Tensor } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import { createCudaBackend } from '../src/base.js';
import { uniform } from './uniform.js';

const backend = createCudaBackend();
ops.useBackend(backend);

const rand = (shape: number[], dtype: DType, lo = -1, hi = 1): Tensor =>
  ops.tidy(() =>
    ops.cast(
      ops.tensor(
        uniform(
          shape.reduce((a, b) => a * b, 1),
          lo,
          hi,
        ),
        shape,
        'f32',
      ),
      dtype,
    ),
  );

interface Shape {
  b: number;
  t: number;
  s: number;
  hq: number;
  hkv: number;
  d: number;
  causal: boolean;
  /** Query and key document ids ([B, T] and [B, S] flattened). */
  qIds?: number[];
  kIds?: number[];
}

/** Ids 0,0,1,1,1,... from document lengths per row. */
function docIds(rows: number[][]): number[] {
  return rows.flatMap((lens) => lens.flatMap((len, doc) => Array<number>(len).fill(doc)));
}

/** Float64 attention forward and backward (the contract's semantics) from plain arrays. */
function reference(sh: Shape, q: Float32Array, k: Float32Array, v: Float32Array, dy: Float32Array) {
  const { b: B, t: T, s: S, hq: Hq, hkv: Hkv, d: D } = sh;
  const scale = 1 / Math.sqrt(D);
  const rep = Hq / Hkv;
  const out = new Float64Array(B * T * Hq * D);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const p = new Float64Array(S);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const g = Math.floor(h / rep);
      for (let i = 0; i < T; i++) {
        const qo = ((b * T + i) * Hq + h) * D;
        let mx = -Infinity;
        for (let j = 0; j < S; j++) {
          const visible = (!sh.causal || j <= i + S - T) && (!sh.qIds || sh.qIds[b * T + i] === sh.kIds![b * S + j]);
          if (!visible) {
            p[j] = Number.NaN;
            continue;
          }
          const ko = ((b * S + j) * Hkv + g) * D;
          let dot = 0;
          for (let x = 0; x < D; x++) dot += q[qo + x]! * k[ko + x]!;
          p[j] = scale * dot;
          mx = Math.max(mx, p[j]!);
        }
        if (mx === -Infinity) continue; // no visible key: zeros, no gradient
        let sum = 0;
        for (let j = 0; j < S; j++) if (!Number.isNaN(p[j]!)) sum += p[j] = Math.exp(p[j]! - mx);
        let delta = 0;
        for (let j = 0; j < S; j++) {
          if (Number.isNaN(p[j]!)) continue;
          p[j]! /= sum;
          const vo = ((b * S + j) * Hkv + g) * D;
          for (let x = 0; x < D; x++) out[qo + x] += p[j]! * v[vo + x]!;
        }
        for (let x = 0; x < D; x++) delta += dy[qo + x]! * out[qo + x]!;
        for (let j = 0; j < S; j++) {
          if (Number.isNaN(p[j]!)) continue;
          const ko = ((b * S + j) * Hkv + g) * D;
          let dp = 0;
          for (let x = 0; x < D; x++) dp += dy[qo + x]! * v[ko + x]!;
          const ds = p[j]! * (dp - delta);
          for (let x = 0; x < D; x++) {
            dq[qo + x] += scale * ds * k[ko + x]!;
            dk[ko + x] += scale * ds * q[qo + x]!;
            dv[ko + x] += p[j]! * dy[qo + x]!;
          }
        }
      }
    }
  return { out, dq, dk, dv };
}

function relL2(got: Float32Array, want: Float64Array): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]!)) return Number.POSITIVE_INFINITY;
    d += (got[i]! - want[i]!) ** 2;
    r += want[i]! ** 2;
  }
  return d === 0 ? 0 : Math.sqrt(d) / Math.max(Math.sqrt(r), 1e-300);
}

const TOLERANCE: Record<string, number> = { f32: 1e-5, f16: 5e-3, bf16: 1e-2 };
const ids = (values: number[], shape: number[]) => ops.tensor(Int32Array.from(values), shape, 'i32');

async function check(name: string, sh: Shape, dtype: DType): Promise<boolean> {
  const q = rand([sh.b, sh.t, sh.hq, sh.d], dtype, -2, 2);
  const k = rand([sh.b, sh.s, sh.hkv, sh.d], dtype, -2, 2);
  const v = rand([sh.b, sh.s, sh.hkv, sh.d], dtype);
  const dy = rand([sh.b, sh.t, sh.hq, sh.d], dtype);
  const qSeqIdx = sh.qIds ? ids(sh.qIds, [sh.b, sh.t]) : undefined;
  const kSeqIdx = sh.kIds ? ids(sh.kIds, [sh.b, sh.s]) : undefined;
  const { value, grads } = ops.vjp(
    () => ops.attention(q, k, v, { causal: sh.causal, qSeqIdx, kSeqIdx }),
    [q, k, v],
    dy,
  );
  const read = (t: Tensor) => t.data() as Promise<Float32Array>;
  const [qv, kv, vv, dyv, outv, dqv, dkv, dvv] = await Promise.all([q, k, v, dy, value, ...grads].map(read));
  const want = reference(sh, qv!, kv!, vv!, dyv!);
  const errs = {
    out: relL2(outv!, want.out),
    dq: relL2(dqv!, want.dq),
    dk: relL2(dkv!, want.dk),
    dv: relL2(dvv!, want.dv),
  };
  const worst = Math.max(...Object.values(errs));
  const pass = worst <= TOLERANCE[dtype]!;
  console.log(
    `${pass ? 'PASS' : 'FAIL'} ${name} ${dtype}: relL2 ${Object.entries(errs)
      .map(([n, e]) => `${n} ${e.toExponential(2)}`)
      .join(', ')}`,
  );
  ops.dispose([q, k, v, dy, value, ...grads, qSeqIdx, kSeqIdx].filter((t): t is Tensor => t !== undefined));
  return pass;
}

const docs3 = docIds([
  [1, 70, 1, 120],
  [64, 64, 64],
]);
const holes = docs3.map((x) => (x === 1 ? 99 : x)); // keys of document 1 renamed: its queries see no key
const CHECKS: Array<[string, Shape]> = [
  ['0.5B heads T=S=200 causal', { b: 2, t: 200, s: 200, hq: 8, hkv: 2, d: 64, causal: true }],
  ['Dh=128 T=S=130 causal MQA', { b: 1, t: 130, s: 130, hq: 4, hkv: 1, d: 128, causal: true }],
  ['T=100 < S=260 causal', { b: 1, t: 100, s: 260, hq: 4, hkv: 2, d: 64, causal: true }],
  ['T=77 S=150 not causal Dh=128', { b: 2, t: 77, s: 150, hq: 2, hkv: 2, d: 128, causal: false }],
  [
    'documents 1/70/1/120 + 64x3',
    { b: 2, t: 192, s: 192, hq: 4, hkv: 2, d: 64, causal: true, qIds: docs3, kIds: docs3 },
  ],
  [
    'rows with no visible key',
    { b: 2, t: 192, s: 192, hq: 4, hkv: 2, d: 128, causal: false, qIds: docs3, kIds: holes },
  ],
  ['decode T=1 S=2048', { b: 1, t: 1, s: 2048, hq: 8, hkv: 2, d: 64, causal: true }],
  ['decode T=3 S=700 Dh=128', { b: 2, t: 3, s: 700, hq: 8, hkv: 2, d: 128, causal: true }],
  [
    'decode T=2 S=300 documents',
    {
      b: 1,
      t: 2,
      s: 300,
      hq: 4,
      hkv: 1,
      d: 64,
      causal: true,
      qIds: [1, 2],
      kIds: Array.from({ length: 300 }, (_, j) => (j < 150 ? 0 : j < 299 ? 1 : 2)),
    },
  ],
];

let failed = 0;
for (const [name, sh] of process.env.FH_ATTENTION_TIMINGS_ONLY === '1' ? [] : CHECKS) {
  const dtypes: DType[] = sh.t <= 4 ? ['f32', 'bf16', 'f16'] : ['bf16', 'f16'];
  for (const dtype of dtypes) if (!(await check(name, sh, dtype))) failed++;
}

/** Median over `reps` samples of the time per call, a sample being `batch` calls queued between synchronize()s. */
async function median(fn: () => void, reps = 5, batch = 10): Promise<number> {
  fn();
  await backend.synchronize();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    for (let j = 0; j < batch; j++) fn();
    await backend.synchronize();
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(reps / 2)]!;
}

if (process.env.FH_ATTENTION_CHECKS_ONLY === '1') {
  console.log(`attention: ${backend.device}; ${failed} check(s) failed`);
  backend.dispose();
  process.exit(failed === 0 ? 0 : 1);
}
const mode = process.env.FALCON_H1_CUDA_ATTENTION === 'cuda-cores' ? 'CUDA cores' : 'fast paths';
/** FH_ATTENTION_TIMING_CASE=i times only row i of these (and no decode), for per-shape kernel profiles. */
const only = process.env.FH_ATTENTION_TIMING_CASE;
const SIZES = [
  [1, 64],
  [4, 64],
  [1, 128],
] as const;
for (const [B, D] of only === undefined ? SIZES : [SIZES[Number(only)]!]) {
  const T = 2048;
  const q = rand([B, T, 8, D], 'bf16', -2, 2);
  const k = rand([B, T, 2, D], 'bf16', -2, 2);
  const v = rand([B, T, 2, D], 'bf16');
  const dy = rand([B, T, 8, D], 'bf16');
  const fwd = await median(() => ops.dispose(ops.attention(q, k, v)));
  const both = await median(() => ops.dispose(ops.vjp(() => ops.attention(q, k, v), [q, k, v], dy)));
  const flops = (B * 4 * T * T * 8 * D) / 2;
  const bwd = both - fwd;
  console.log(
    `[${mode}] Attention bf16 B=${B} T=${T} Hq=8 Hkv=2 Dh=${D} causal: fwd ${fwd.toFixed(3)} ms ` +
      `(${(flops / fwd / 1e9).toFixed(1)} TFLOP/s), bwd ${bwd.toFixed(3)} ms (${((2.5 * flops) / bwd / 1e9).toFixed(1)} TFLOP/s)`,
  );
  ops.dispose([q, k, v, dy]);
}
for (const S of only === undefined ? [2048, 8192, 32768] : []) {
  const q = rand([1, 1, 8, 64], 'bf16', -2, 2);
  const k = rand([1, S, 2, 64], 'bf16', -2, 2);
  const v = rand([1, S, 2, 64], 'bf16');
  const ms = await median(() => ops.dispose(ops.attention(q, k, v)), 7, 20);
  const bytes = 2 * S * 2 * 64 * 2;
  console.log(
    `[${mode}] decode bf16 B=1 T=1 S=${S} Hq=8 Hkv=2 Dh=64: ${(ms * 1000).toFixed(1)} µs (K+V ${(bytes / ms / 1e6).toFixed(1)} GB/s)`,
  );
  ops.dispose([q, k, v]);
}
console.log(`attention: ${backend.device}; ${failed} check(s) failed`);
backend.dispose();
process.exit(failed === 0 ? 0 : 1);
