/**
 * fused.ts — each native fused kernel against core's composition of primitives, on the same GPU, at Falcon-H1-0.5B
 * sizes (B = 1, T = 2048, f32; attention also in bf16 at B = 1 and 4; the LM head's LinearCrossEntropy at 1×2048 and
 * 4×2048 rows; AdamWMulti over a 0.5B-shaped parameter list): forward and backward times (median of 5
 * after warm-up, between synchronize() calls) and the relative L2 difference between the two paths (both certified
 * against the float64 oracle on small cases by the conformance suite; this checks them against each other at model
 * scale). FH_FUSED_FILTER=REGEX runs only the matching cases. Bundled by tools/cuda/bundle-gpu.mjs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import { createCudaBackend } from '../src/base.js';
import { uniform } from './uniform.js';

const backend = createCudaBackend();
ops.useBackend(backend);

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const rand = (shape: number[], lo = -1, hi = 1): Tensor => ops.tensor(uniform(size(shape), lo, hi), shape, 'f32');
const ints = (shape: number[], f: (i: number) => number): Tensor =>
  ops.tensor(
    Int32Array.from({ length: size(shape) }, (_, i) => f(i)),
    shape,
    'i32',
  );

type Outs = Tensor | Record<string, Tensor>;
interface Case {
  name: string;
  inputs: () => Record<string, Tensor>;
  /** Differentiated inputs (empty: forward only). */
  wrt: string[];
  run: (x: Record<string, Tensor>) => Outs;
}

const T = 2048;
/** SsmScan's inputs at Falcon-H1-0.5B's mixer shapes (H = 24, P = 64, one group of N = 128) in bf16, B rows. */
const scanInputsBf16 = (B: number, dtLo: number, dtHi: number): Record<string, Tensor> => ({
  x: ops.cast(rand([B, T, 24, 64]), 'bf16'),
  dt: ops.cast(rand([B, T, 24], dtLo, dtHi), 'bf16'),
  A: ops.cast(rand([24], -2.5, -0.2), 'bf16'),
  Bm: ops.cast(rand([B, T, 1, 128]), 'bf16'),
  Cm: ops.cast(rand([B, T, 1, 128]), 'bf16'),
  D: ops.cast(rand([24], 0.5, 1.5), 'bf16'),
});
const CASES: Case[] = [
  {
    name: 'RmsNorm [2048,1024]',
    inputs: () => ({ x: rand([T, 1024], -2, 2), w: rand([1024], 0.5, 1.5) }),
    wrt: ['x', 'w'],
    run: ({ x, w }) => ops.rmsNorm(x!, w!, 1e-5),
  },
  {
    name: 'RmsNormGated [2048,1536] group 1536',
    inputs: () => ({ x: rand([T, 1536], -2, 2), z: rand([T, 1536], -3, 3), w: rand([1536], 0.5, 1.5) }),
    wrt: ['x', 'z', 'w'],
    run: ({ x, z, w }) => ops.rmsNormGated(x!, z!, w!, { eps: 1e-5, groupSize: 1536, normBeforeGate: false }),
  },
  {
    name: 'Rope [1,2048,8,64] θ=1e11',
    inputs: () => ({ x: rand([1, T, 8, 64]), pos: ints([1, T], (i) => i) }),
    wrt: ['x'],
    run: ({ x, pos }) => ops.rope(x!, pos!, 1e11),
  },
  {
    name: 'CausalConv1d [1,2048,1792] K=4 silu',
    inputs: () => ({ x: rand([1, T, 1792]), w: rand([1792, 4], -0.7, 0.7), b: rand([1792], -0.3, 0.3) }),
    wrt: ['x', 'w', 'b'],
    run: ({ x, w, b }) => ops.causalConv1d(x!, w!, { bias: b, activation: 'silu' }),
  },
  {
    name: 'SsmScan B=1 T=2048 H=24 P=64 N=128 chunk=128',
    inputs: () => ({
      x: rand([1, T, 24, 64]),
      dt: rand([1, T, 24], 0.01, 0.6),
      A: rand([24], -2.5, -0.2),
      Bm: rand([1, T, 1, 128]),
      Cm: rand([1, T, 1, 128]),
      D: rand([24], 0.5, 1.5),
    }),
    wrt: ['x', 'dt', 'A', 'Bm', 'Cm', 'D'],
    run: ({ x, dt, A, Bm, Cm, D }) => ops.ssmScan({ x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D }, { chunkSize: 128 }),
  },
  {
    // bf16 activations: the SSD in matmul form on tensor cores (ssd_tc.cu; FALCON_H1_CUDA_SSD=cuda-cores for the
    // recurrence kernels instead).
    name: 'SsmScan bf16 B=1 T=2048 H=24 P=64 N=128 chunk=128',
    inputs: () => scanInputsBf16(1, 0.01, 0.6),
    wrt: ['x', 'dt', 'A', 'Bm', 'Cm', 'D'],
    run: ({ x, dt, A, Bm, Cm, D }) => ops.ssmScan({ x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D }, { chunkSize: 128 }),
  },
  {
    // Packed documents (boundaries on a chunk edge, mid-chunk and a one-token document) and an initial state: the
    // model-scale cross-check of the scan's document resets against the composition.
    name: 'SsmScan bf16 B=2 T=2048 H=24 P=64 N=128 docs+initialState',
    inputs: () => ({
      ...scanInputsBf16(2, 0.001, 0.1),
      initialState: rand([2, 24, 64, 128]),
      seqIdx: ints([2, T], (i) => {
        const t = i % T;
        return i < T ? (t < 320 ? 0 : t < 1000 ? 1 : t < 1001 ? 2 : 3) : t < 700 ? 0 : 1;
      }),
    }),
    wrt: ['x', 'dt', 'A', 'Bm', 'Cm', 'D', 'initialState'],
    run: ({ x, dt, A, Bm, Cm, D, initialState, seqIdx }) =>
      ops.ssmScan({ x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D, initialState, seqIdx }, { chunkSize: 128 }),
  },
  {
    name: 'Attention B=1 T=2048 Hq=8 Hkv=2 Dh=64 causal',
    inputs: () => ({ q: rand([1, T, 8, 64], -2, 2), k: rand([1, T, 2, 64], -2, 2), v: rand([1, T, 2, 64]) }),
    wrt: ['q', 'k', 'v'],
    run: ({ q, k, v }) => ops.attention(q!, k!, v!, { causal: true }),
  },
  ...[1, 4].map(
    (B): Case => ({
      name: `Attention bf16 B=${B} T=2048 Hq=8 Hkv=2 Dh=64 causal`,
      inputs: () => ({
        q: ops.cast(rand([B, T, 8, 64], -2, 2), 'bf16'),
        k: ops.cast(rand([B, T, 2, 64], -2, 2), 'bf16'),
        v: ops.cast(rand([B, T, 2, 64]), 'bf16'),
      }),
      wrt: ['q', 'k', 'v'],
      run: ({ q, k, v }) => ops.attention(q!, k!, v!, { causal: true }),
    }),
  ),
  {
    name: 'CrossEntropy [2048,32784]',
    inputs: () => ({ logits: rand([T, 32784], -4, 4), labels: ints([T], (i) => (i * 7919) % 32784) }),
    wrt: ['logits'],
    run: ({ logits, labels }) => ops.crossEntropy(logits!, labels!),
  },
  ...(['f32', 'bf16'] as const).map(
    (dtype): Case => ({
      name: `SwiGlu ${dtype} [2048,2048] gate×0.883883`,
      inputs: () => ({ gate: ops.cast(rand([T, 2048], -5, 5), dtype), up: ops.cast(rand([T, 2048], -2, 2), dtype) }),
      wrt: ['gate', 'up'],
      run: ({ gate, up }) => ops.swiGlu(gate!, up!, 0.883883),
    }),
  ),
  // The LM head + loss of a 0.5B training step (R = B·T rows, V = 32784): the composition stores the [R, V] logits
  // (and their f32 copy), the fused kernel one vocabulary chunk at a time.
  ...[1, 4].map(
    (B): Case => ({
      name: `LinearCrossEntropy bf16 R=${B * T} D=1024 V=32784`,
      inputs: () => ({
        hidden: ops.cast(rand([B * T, 1024], -2, 2), 'bf16'),
        weight: ops.cast(rand([32784, 1024], -0.05, 0.05), 'bf16'),
        labels: ints([B * T], (i) => (i % 97 === 0 ? -100 : (i * 7919) % 32784)),
      }),
      wrt: ['hidden', 'weight'],
      run: ({ hidden, weight, labels }) => ops.linearCrossEntropy(hidden!, weight!, labels!, { scale: 0.0390625 }),
    }),
  ),
  {
    name: 'Softmax [16384,2048]',
    inputs: () => ({ x: rand([16384, 2048], -6, 6) }),
    wrt: ['x'],
    run: ({ x }) => ops.softmax(x!),
  },
];

/**
 * AdamWMulti (in place, so not a Case): one optimizer step over a Falcon-H1-0.5B-shaped parameter list (f32 master
 * weights, 36 layers' tensors plus embedding and head, ~0.5B elements) in one launch, against the per-tensor AdamW
 * launches it replaces (AdamWMulti forced to fall back). relL2 compares the parameters after one step from the same
 * start (the two paths are bit-identical by construction).
 */
async function benchAdamWMulti(): Promise<void> {
  const name = 'AdamWMulti 0.5B-shaped f32 step';
  if (only && !only.test(name)) return;
  const layer = [[3352, 1024], [1024, 1536], [1792, 4], [1792], [24], [24], [24], [1024], [1024], [1536]];
  const attention = [
    [512, 1024],
    [128, 1024],
    [128, 1024],
    [1024, 512],
    [2048, 1024],
    [2048, 1024],
    [1024, 2048],
  ];
  const shapes = [
    [32784, 1024],
    [32784, 1024],
    [1024],
    ...Array.from({ length: 36 }, () => [...layer, ...attention]).flat(),
  ];
  const make = () =>
    shapes.map((shape, i) => {
      // Device-side fills (random host data for 0.5B elements would dominate the run; values do not change timing).
      const init = ops.fill(shape, 0.05 * ((i % 7) - 3), 'f32');
      const zero = ops.zeros(shape, 'f32');
      const entry = {
        param: ops.variable(init, { name: `p${i}` }),
        grad: ops.fill(shape, 0.001 * ((i % 5) - 2), 'f32'),
        m: ops.variable(zero, { name: `m${i}` }),
        v: ops.variable(zero, { name: `v${i}` }),
        lr: i % 3 === 0 ? 1e-4 : 3e-4,
        weightDecay: i % 2 === 0 ? 0.1 : 0,
      };
      ops.dispose([init, zero]);
      return entry;
    });
  const hyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1 };
  const time: Record<string, { ms: number; first: Float32Array }> = {};
  for (const mode of ['native', 'composition'] as const) {
    ops.setFallbackPolicy(mode === 'native' ? 'none' : ['AdamWMulti']);
    const entries = make();
    ops.adamWMulti(entries, hyper);
    const first = (await entries[5]!.param.data()) as Float32Array;
    const ms = await median(() => ops.adamWMulti(entries, hyper));
    time[mode] = { ms, first };
    for (const e of entries) ops.dispose([e.param, e.grad, e.m, e.v]);
  }
  ops.setFallbackPolicy('none');
  const n = time.native!;
  const k = time.composition!;
  rows.push({ name, fwdNative: n.ms, fwdComposed: k.ms, fwdRelL2: relL2(n.first, k.first) });
  console.log(
    `${name.padEnd(46)} ${shapes.length} tensors: ${n.ms.toFixed(3)} ms vs ${k.ms.toFixed(3)} ms per-tensor ` +
      `(${(k.ms / n.ms).toFixed(1)}x)  relL2 ${rows.at(-1)!.fwdRelL2.toExponential(1)}`,
  );
}

function list(o: Outs): Tensor[] {
  return 'dataId' in o ? [o as Tensor] : Object.values(o as Record<string, Tensor>);
}

function relL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i]! - b[i]!;
    d += e * e;
    r += b[i]! * b[i]!;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(r), 1e-300);
}

async function median(fn: () => void, reps = 5): Promise<number> {
  fn();
  await backend.synchronize();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    await backend.synchronize();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(reps / 2)]!;
}

interface Row {
  name: string;
  fwdNative: number;
  fwdComposed: number;
  bwdNative?: number;
  bwdComposed?: number;
  fwdRelL2: number;
  bwdRelL2?: number;
}
const rows: Row[] = [];
/** FH_FUSED_FILTER=REGEX runs only the cases whose name matches. */
const only = process.env.FH_FUSED_FILTER ? new RegExp(process.env.FH_FUSED_FILTER) : undefined;

for (const c of CASES) {
  if (only && !only.test(c.name)) continue;
  const inputs = c.inputs();
  const xs = c.wrt.map((k) => inputs[k]!);
  const cot = ops.tidy(() =>
    list(c.run(inputs)).map((t) =>
      ops.keep(t.dtype === 'f32' ? rand([...t.shape]) : ops.cast(rand([...t.shape]), t.dtype)),
    ),
  );
  const results: Record<string, { fwd: number; bwd?: number; out: Float32Array[]; grads: Float32Array[] }> = {};
  try {
    for (const mode of ['native', 'composition'] as const) {
      ops.setFallbackPolicy(mode === 'native' ? 'none' : 'all');
      const outs = ops.tidy(() => list(c.run(inputs)).map((t) => ops.keep(t)));
      const out = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
      ops.dispose(outs);
      const fwd = await median(() => ops.dispose(ops.tidy(() => c.run(inputs))));
      let bwd: number | undefined;
      const grads: Float32Array[] = [];
      if (xs.length) {
        const backward = () => ops.vjp(() => list(c.run(inputs)), xs, cot);
        const r = backward();
        for (const g of r.grads) grads.push((await g.data()) as Float32Array);
        ops.dispose(r);
        bwd = await median(() => ops.dispose(backward()));
      }
      results[mode] = { fwd, bwd, out, grads };
    }
  } finally {
    ops.setFallbackPolicy('none');
  }
  const n = results.native!;
  const k = results.composition!;
  const fwdRelL2 = Math.max(...n.out.map((o, i) => relL2(o, k.out[i]!)));
  const bwdRelL2 = n.grads.length ? Math.max(...n.grads.map((g, i) => relL2(g, k.grads[i]!))) : undefined;
  rows.push({
    name: c.name,
    fwdNative: n.fwd,
    fwdComposed: k.fwd,
    bwdNative: n.bwd,
    bwdComposed: k.bwd,
    fwdRelL2,
    bwdRelL2,
  });
  ops.dispose(cot);
  ops.dispose(Object.values(inputs));
  const r = rows.at(-1)!;
  const f = (x?: number) => (x === undefined ? '-' : x.toFixed(3));
  console.log(
    `${r.name.padEnd(46)} fwd ${f(r.fwdNative)} ms vs ${f(r.fwdComposed)} ms (${(r.fwdComposed / r.fwdNative).toFixed(1)}x)` +
      `  bwd ${f(r.bwdNative)} ms vs ${f(r.bwdComposed)} ms (${r.bwdNative ? (r.bwdComposed! / r.bwdNative).toFixed(1) : '-'}x)` +
      `  relL2 fwd ${r.fwdRelL2.toExponential(1)} bwd ${r.bwdRelL2?.toExponential(1) ?? '-'}`,
  );
}
await benchAdamWMulti();
console.log(`fused: ${backend.device}; live tensors after: ${ops.memory().numTensors}`);
if (process.env.OUT)
  writeFileSync(
    join(process.env.OUT, 'bench-fused.json'),
    `${JSON.stringify({ device: backend.device, T, rows }, null, 2)}\n`,
  );
backend.dispose();
