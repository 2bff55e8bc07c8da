/**
 * Core's compositions of the fused kernels (packages/core-tensor/src/compositions/) against the reference
 * backend's native fused kernels, forward and backward, on random inputs of awkward shapes.
 *
 * Every case runs three ways and compares with the oracle (the reference's native forward and backward kernels,
 * float64):
 *  - composition f64: `setFallbackPolicy('all')`, so the forward is the composition and its gradient the
 *    composition differentiated by core autograd (relative L2 ≤ 1e−10);
 *  - compositionVjp f64: native forward, composition vjp for the backward (the backward kernel forced off, or
 *    absent from the contract) (≤ 1e−10);
 *  - composition f32 against the f64 oracle, inputs rounded to f32 for both (≤ 1e−5).
 * The kernels without a backward kernel (CausalConv1dUpdate, SsmStep) take their oracle gradients from kernels
 * that have one: one step of CausalConv1d / SsmScan. Each run also checks which path `dispatchCounts()`
 * reports and that `memory().numTensors` returns to its starting value.
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference';
import {
  attention,
  causalConv1d,
  causalConv1dUpdate,
  concat,
  crossEntropy,
  dispatchCounts,
  dispose,
  type FusedKernelName,
  linearCrossEntropy,
  memory,
  registerBackend,
  resetDispatchCounts,
  reshape,
  rmsNorm,
  rmsNormGated,
  rope,
  setBackend,
  setFallbackPolicy,
  sliceAxis,
  softmax,
  ssmScan,
  ssmStep,
  swiGlu,
  type Tensor,
  tensor,
  vjp,
} from '@falcon-h1/core-tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRng, type Rng, randomArray, seedFromString } from '../src/random.js';

// ---------------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------------

type Outputs = Tensor | Record<string, Tensor>;

interface HostTensor {
  values: ArrayLike<number>;
  shape: number[];
  /** float: the dtype under test; state: f64 for f64, else f32 (SSM states); i32: ids, positions, labels. */
  kind: 'float' | 'state' | 'i32';
}

interface CompositionCase {
  name: string;
  kernel: FusedKernelName;
  /** The contract's backward kernel, if any. */
  grad?: FusedKernelName;
  inputs: Record<string, HostTensor>;
  /** Runs the user-facing op. */
  run(t: Record<string, Tensor>): Outputs;
  /** The oracle when it is not `run` on the native kernels (kernels without a backward kernel). */
  oracle?(t: Record<string, Tensor>): Outputs;
  /** Outputs that get a cotangent (default: every output). */
  seeded?: readonly string[];
}

const floats = (rng: Rng, shape: number[], min = -1, max = 1, kind: 'float' | 'state' = 'float'): HostTensor => ({
  values: randomArray(
    rng,
    shape.reduce((a, b) => a * b, 1),
    min,
    max,
  ),
  shape,
  kind,
});
const ints = (values: number[], shape: number[]): HostTensor => ({ values, shape, kind: 'i32' });

/** Document ids [B, T] from the lengths of each row's documents (one row per entry). */
function documents(rows: number[][]): HostTensor {
  const values = rows.flatMap((lengths) => lengths.flatMap((length, doc) => new Array<number>(length).fill(doc)));
  return ints(values, [rows.length, values.length / rows.length]);
}

function softmaxCases(): CompositionCase[] {
  // Logits far from 0 (the max subtraction matters) but of moderate spread (a near one-hot softmax makes its
  // gradient a cancellation, ill-conditioned in f32).
  return [
    { shape: [7], min: -3, max: 3 },
    { shape: [3, 5], min: 96, max: 104 },
    { shape: [2, 3, 9], min: -505, max: -500 },
    { shape: [4, 1], min: -3, max: 3 },
  ].map(({ shape, min, max }) => {
    const rng = createRng(seedFromString(`softmax ${shape}`));
    return {
      name: `Softmax x[${shape}] in [${min}, ${max}]`,
      kernel: 'Softmax',
      grad: 'SoftmaxGrad',
      inputs: { x: floats(rng, shape, min, max) },
      run: (t) => softmax(t.x!),
    };
  });
}

function rmsNormCases(): CompositionCase[] {
  return [
    { shape: [3, 7], eps: 1e-5 },
    { shape: [2, 3, 5], eps: 1e-6 },
    { shape: [1], eps: 0.1 },
  ].map(({ shape, eps }) => {
    const rng = createRng(seedFromString(`rmsnorm ${shape}`));
    return {
      name: `RmsNorm x[${shape}] eps=${eps}`,
      kernel: 'RmsNorm',
      grad: 'RmsNormGrad',
      inputs: { x: floats(rng, shape, -2, 2), weight: floats(rng, [shape.at(-1)!], 0.5, 1.5) },
      run: (t) => rmsNorm(t.x!, t.weight!, eps),
    };
  });
}

function rmsNormGatedCases(): CompositionCase[] {
  const out: CompositionCase[] = [];
  // groupSize 1 normalises single channels (n ≈ ±1): a larger eps keeps its gradient well conditioned in f32.
  for (const { shape, groupSize, eps } of [
    { shape: [3, 12], groupSize: 4, eps: 1e-5 },
    { shape: [3, 12], groupSize: 12, eps: 1e-6 },
    { shape: [2, 2, 6], groupSize: 3, eps: 1e-5 },
    { shape: [5, 5], groupSize: 1, eps: 0.1 },
  ]) {
    for (const normBeforeGate of [false, true]) {
      const rng = createRng(seedFromString(`gated ${shape} ${groupSize} ${normBeforeGate}`));
      const d = shape.at(-1)!;
      out.push({
        name: `RmsNormGated x[${shape}] groupSize=${groupSize} eps=${eps} normBeforeGate=${normBeforeGate}`,
        kernel: 'RmsNormGated',
        grad: 'RmsNormGatedGrad',
        inputs: { x: floats(rng, shape, -2, 2), z: floats(rng, shape, -3, 3), weight: floats(rng, [d], 0.5, 1.5) },
        run: (t) => rmsNormGated(t.x!, t.z!, t.weight!, { eps, groupSize, normBeforeGate }),
      });
    }
  }
  return out;
}

function ropeCases(): CompositionCase[] {
  const out: CompositionCase[] = [];
  for (const { shape, theta } of [
    { shape: [2, 5, 3, 8], theta: 10000 },
    { shape: [1, 7, 2, 6], theta: 1e11 },
    { shape: [3, 1, 1, 2], theta: 500 },
  ]) {
    for (const inverse of [false, true]) {
      const rng = createRng(seedFromString(`rope ${shape} ${inverse}`));
      const [b, t] = shape as [number, number];
      const positions = Array.from({ length: b * t }, () => rng.int(0, 48));
      out.push({
        name: `Rope x[${shape}] theta=${theta} inverse=${inverse}`,
        kernel: 'Rope',
        inputs: { x: floats(rng, shape), positions: ints(positions, [b, t]) },
        run: (t) => rope(t.x!, t.positions!, theta, inverse),
      });
    }
  }
  return out;
}

function causalConv1dCases(): CompositionCase[] {
  const out: CompositionCase[] = [];
  const variants: {
    b: number;
    t: number;
    c: number;
    k: number;
    bias: boolean;
    init: boolean;
    docs?: number[][];
    ids?: number[];
    activation: 'none' | 'silu';
  }[] = [
    {
      b: 2,
      t: 7,
      c: 5,
      k: 4,
      bias: true,
      init: true,
      docs: [
        [3, 1, 3],
        [1, 6],
      ],
      activation: 'silu' as const,
    },
    {
      b: 2,
      t: 7,
      c: 5,
      k: 4,
      bias: false,
      init: false,
      docs: [
        [2, 5],
        [4, 1, 2],
      ],
      activation: 'none' as const,
    },
    { b: 2, t: 7, c: 3, k: 4, bias: true, init: true, docs: undefined, activation: 'none' as const },
    { b: 1, t: 6, c: 4, k: 3, bias: true, init: false, docs: undefined, activation: 'silu' as const },
    { b: 2, t: 5, c: 3, k: 1, bias: true, init: false, docs: [[2, 3], [5]], activation: 'silu' as const },
    { b: 2, t: 1, c: 3, k: 2, bias: false, init: true, docs: [[1], [1]], activation: 'silu' as const },
    { b: 1, t: 2, c: 2, k: 5, bias: false, init: true, docs: [[1, 1]], activation: 'none' as const },
    // Ids that come back (3 … 1 … 3): the contract's rule is equality of ids, position by position.
    {
      b: 1,
      t: 7,
      c: 2,
      k: 4,
      bias: true,
      init: true,
      docs: undefined,
      ids: [3, 3, 1, 1, 3, 3, 3],
      activation: 'none' as const,
    },
  ];
  for (const v of variants) {
    const ids = v.docs ? JSON.stringify(v.docs) : v.ids ? `ids ${v.ids}` : 'none';
    const name = `CausalConv1d x[${v.b},${v.t},${v.c}] K=${v.k} bias=${v.bias} initialState=${v.init} seqIdx=${ids} ${v.activation}`;
    const rng = createRng(seedFromString(name));
    const inputs: Record<string, HostTensor> = { x: floats(rng, [v.b, v.t, v.c]), weight: floats(rng, [v.c, v.k]) };
    if (v.bias) inputs.bias = floats(rng, [v.c]);
    if (v.init) inputs.initialState = floats(rng, [v.b, v.c, v.k - 1]);
    if (v.docs) inputs.seqIdx = documents(v.docs);
    if (v.ids) inputs.seqIdx = ints(v.ids, [v.b, v.t]);
    out.push({
      name,
      kernel: 'CausalConv1d',
      grad: 'CausalConv1dGrad',
      inputs,
      run: (t) =>
        causalConv1d(t.x!, t.weight!, {
          bias: t.bias,
          initialState: t.initialState,
          seqIdx: t.seqIdx,
          activation: v.activation,
        }),
    });
  }
  return out;
}

function causalConv1dUpdateCases(): CompositionCase[] {
  const out: CompositionCase[] = [];
  for (const v of [
    { b: 2, c: 5, k: 4, bias: true, activation: 'silu' as const },
    { b: 3, c: 2, k: 3, bias: false, activation: 'none' as const },
    { b: 1, c: 3, k: 1, bias: true, activation: 'silu' as const },
  ]) {
    const name = `CausalConv1dUpdate convState[${v.b},${v.c},${v.k}] bias=${v.bias} ${v.activation}`;
    const rng = createRng(seedFromString(name));
    const inputs: Record<string, HostTensor> = {
      convState: floats(rng, [v.b, v.c, v.k]),
      x: floats(rng, [v.b, v.c]),
      weight: floats(rng, [v.c, v.k]),
    };
    if (v.bias) inputs.bias = floats(rng, [v.c]);
    out.push({
      name,
      kernel: 'CausalConv1dUpdate',
      inputs,
      run: (t) => causalConv1dUpdate(t.convState!, t.x!, t.weight!, { bias: t.bias, activation: v.activation }),
      // One step of CausalConv1d over the state's last K−1 columns, and the shifted state.
      oracle: (t) => {
        const history = v.k > 1 ? sliceAxis(t.convState!, 2, 1, v.k - 1) : undefined;
        const column = reshape(t.x!, [v.b, v.c, 1]);
        const y = causalConv1d(reshape(t.x!, [v.b, 1, v.c]), t.weight!, {
          bias: t.bias,
          initialState: history,
          activation: v.activation,
        });
        return { y: reshape(y, [v.b, v.c]), convState: history ? concat([history, column], 2) : concat([column], 2) };
      },
    });
  }
  return out;
}

interface ScanVariant {
  b: number;
  t: number;
  h: number;
  p: number;
  g: number;
  n: number;
  chunkSize: number;
  d: boolean;
  init: boolean;
  docs?: number[][];
  /** Raw document ids [B·T] (not necessarily increasing: the recurrence resets wherever the id changes). */
  ids?: number[];
  seeded?: readonly string[];
}

function ssmScanCases(): CompositionCase[] {
  const docs = [
    [2, 1, 4],
    [5, 2],
  ]; // boundaries inside chunks and a one-token document (row 0), row 1 with 2 documents
  const variants: ScanVariant[] = [
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 3, d: true, init: true, docs },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 3, d: false, init: false, docs },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 1, d: true, init: true, docs },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 4, d: true, init: true },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 16, d: true, init: true, docs },
    { b: 1, t: 9, h: 3, p: 2, g: 1, n: 4, chunkSize: 2, d: true, init: false, docs: [[1, 1, 3, 1, 3]] },
    {
      b: 2,
      t: 8,
      h: 2,
      p: 2,
      g: 2,
      n: 3,
      chunkSize: 4,
      d: false,
      init: true,
      docs: [
        [4, 4],
        [3, 5],
      ],
    },
    { b: 1, t: 5, h: 6, p: 1, g: 3, n: 2, chunkSize: 5, d: true, init: true },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 3, d: true, init: true, docs, seeded: ['finalState'] },
    { b: 2, t: 7, h: 4, p: 3, g: 2, n: 5, chunkSize: 2, d: true, init: true, docs, seeded: ['y'] },
    {
      b: 2,
      t: 7,
      h: 2,
      p: 2,
      g: 1,
      n: 3,
      chunkSize: 3,
      d: true,
      init: true,
      ids: [3, 3, 1, 1, 1, 3, 3, 0, 0, 0, 0, 0, 0, 0],
    },
    { b: 1, t: 64, h: 2, p: 4, g: 1, n: 8, chunkSize: 16, d: true, init: true, docs: [[10, 30, 1, 23]] },
  ];
  return variants.map((v) => {
    const ids = v.docs ? JSON.stringify(v.docs) : v.ids ? `ids ${v.ids}` : 'none';
    const name = `SsmScan x[${v.b},${v.t},${v.h},${v.p}] G=${v.g} N=${v.n} chunkSize=${v.chunkSize} D=${v.d} initialState=${v.init} seqIdx=${ids}${v.seeded ? ` d(${v.seeded.join(',')})` : ''}`;
    const rng = createRng(seedFromString(name));
    const inputs: Record<string, HostTensor> = {
      x: floats(rng, [v.b, v.t, v.h, v.p]),
      dt: floats(rng, [v.b, v.t, v.h], 0.05, 1.5),
      A: floats(rng, [v.h], -2, -0.2),
      Bm: floats(rng, [v.b, v.t, v.g, v.n]),
      Cm: floats(rng, [v.b, v.t, v.g, v.n]),
    };
    if (v.d) inputs.D = floats(rng, [v.h]);
    if (v.init) inputs.initialState = floats(rng, [v.b, v.h, v.p, v.n], -1, 1, 'state');
    if (v.docs) inputs.seqIdx = documents(v.docs);
    if (v.ids) inputs.seqIdx = ints(v.ids, [v.b, v.t]);
    return {
      name,
      kernel: 'SsmScan',
      grad: 'SsmScanGrad',
      inputs,
      seeded: v.seeded,
      run: (t) =>
        ssmScan(
          { x: t.x!, dt: t.dt!, A: t.A!, Bm: t.Bm!, Cm: t.Cm!, D: t.D, initialState: t.initialState, seqIdx: t.seqIdx },
          { chunkSize: v.chunkSize },
        ),
    };
  });
}

function ssmStepCases(): CompositionCase[] {
  return [
    { b: 2, h: 4, p: 3, g: 2, n: 5, d: true },
    { b: 1, h: 3, p: 2, g: 1, n: 4, d: false },
    { b: 3, h: 2, p: 1, g: 2, n: 3, d: true },
  ].map((v) => {
    const name = `SsmStep x[${v.b},${v.h},${v.p}] G=${v.g} N=${v.n} D=${v.d}`;
    const rng = createRng(seedFromString(name));
    const inputs: Record<string, HostTensor> = {
      state: floats(rng, [v.b, v.h, v.p, v.n], -1, 1, 'state'),
      x: floats(rng, [v.b, v.h, v.p]),
      dt: floats(rng, [v.b, v.h], 0.05, 1.5),
      A: floats(rng, [v.h], -2, -0.2),
      Bm: floats(rng, [v.b, v.g, v.n]),
      Cm: floats(rng, [v.b, v.g, v.n]),
    };
    if (v.d) inputs.D = floats(rng, [v.h]);
    return {
      name,
      kernel: 'SsmStep',
      inputs,
      run: (t) => ssmStep({ state: t.state!, x: t.x!, dt: t.dt!, A: t.A!, Bm: t.Bm!, Cm: t.Cm!, D: t.D }),
      // A one-token scan from the state.
      oracle: (t) => {
        const { y, finalState } = ssmScan(
          {
            x: reshape(t.x!, [v.b, 1, v.h, v.p]),
            dt: reshape(t.dt!, [v.b, 1, v.h]),
            A: t.A!,
            Bm: reshape(t.Bm!, [v.b, 1, v.g, v.n]),
            Cm: reshape(t.Cm!, [v.b, 1, v.g, v.n]),
            D: t.D,
            initialState: t.state,
          },
          { chunkSize: 1 },
        );
        return { y: reshape(y, [v.b, v.h, v.p]), state: finalState };
      },
    };
  });
}

function attentionCases(): CompositionCase[] {
  const variants = [
    { b: 2, t: 5, s: 5, hq: 4, hkv: 2, dh: 3, dv: 5, causal: true },
    { b: 2, t: 3, s: 7, hq: 4, hkv: 2, dh: 3, dv: 2, causal: true },
    { b: 1, t: 1, s: 6, hq: 3, hkv: 1, dh: 4, dv: 3, causal: true },
    { b: 2, t: 4, s: 6, hq: 2, hkv: 2, dh: 2, dv: 3, causal: false },
    { b: 1, t: 5, s: 5, hq: 1, hkv: 1, dh: 3, dv: 3, causal: true },
    // Packed documents (the same ids for queries and keys), causal.
    {
      b: 2,
      t: 6,
      s: 6,
      hq: 4,
      hkv: 1,
      dh: 3,
      dv: 2,
      causal: true,
      q: [
        [2, 1, 3],
        [5, 1],
      ],
      k: [
        [2, 1, 3],
        [5, 1],
      ],
    },
    // Decode-like: the queries are the keys' last positions; some queries see no key at all (document 9).
    {
      b: 2,
      t: 3,
      s: 6,
      hq: 2,
      hkv: 2,
      dh: 3,
      dv: 4,
      causal: true,
      qIds: [0, 1, 9, 9, 1, 1],
      kIds: [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1],
    },
    // Not causal, documents, a query with no visible key.
    { b: 1, t: 4, s: 5, hq: 2, hkv: 1, dh: 2, dv: 3, causal: false, qIds: [0, 1, 7, 1], kIds: [0, 0, 1, 1, 1] },
  ];
  return variants.map((v) => {
    const name = `Attention q[${v.b},${v.t},${v.hq},${v.dh}] S=${v.s} Hkv=${v.hkv} Dv=${v.dv} causal=${v.causal}${v.q ? ` docs=${JSON.stringify(v.q)}` : ''}${v.qIds ? ` qSeqIdx=${v.qIds} kSeqIdx=${v.kIds}` : ''}`;
    const rng = createRng(seedFromString(name));
    const inputs: Record<string, HostTensor> = {
      q: floats(rng, [v.b, v.t, v.hq, v.dh], -2, 2),
      k: floats(rng, [v.b, v.s, v.hkv, v.dh], -2, 2),
      v: floats(rng, [v.b, v.s, v.hkv, v.dv]),
    };
    if (v.q && v.k) {
      inputs.qSeqIdx = documents(v.q);
      inputs.kSeqIdx = documents(v.k);
    }
    if (v.qIds && v.kIds) {
      inputs.qSeqIdx = ints(v.qIds, [v.b, v.t]);
      inputs.kSeqIdx = ints(v.kIds, [v.b, v.s]);
    }
    return {
      name,
      kernel: 'Attention',
      grad: 'AttentionGrad',
      inputs,
      run: (t) => attention(t.q!, t.k!, t.v!, { causal: v.causal, qSeqIdx: t.qSeqIdx, kSeqIdx: t.kSeqIdx }),
    };
  });
}

function crossEntropyCases(): CompositionCase[] {
  return [
    { r: 6, v: 11, labels: [3, -100, 0, 10, 7, -100], ignoreIndex: -100, range: 5 },
    { r: 4, v: 7, labels: [2, 5, 2, 0], ignoreIndex: 2, range: 40 },
    { r: 1, v: 1, labels: [0], ignoreIndex: -100, range: 1 },
  ].map(({ r, v, labels, ignoreIndex, range }) => {
    const name = `CrossEntropy logits[${r},${v}] labels=${labels} ignoreIndex=${ignoreIndex}`;
    const rng = createRng(seedFromString(name));
    return {
      name,
      kernel: 'CrossEntropy',
      grad: 'CrossEntropyGrad',
      inputs: { logits: floats(rng, [r, v], -range, range), labels: ints(labels, [r]) },
      run: (t) => crossEntropy(t.logits!, t.labels!, ignoreIndex),
    };
  });
}

function swiGluCases(): CompositionCase[] {
  return [
    { shape: [3, 7], multiplier: 0.883883 },
    { shape: [2, 1, 5], multiplier: 1 },
  ].map(({ shape, multiplier }) => {
    const name = `SwiGlu [${shape}] gateMultiplier=${multiplier}`;
    const rng = createRng(seedFromString(name));
    return {
      name,
      kernel: 'SwiGlu',
      grad: 'SwiGluGrad',
      inputs: { gate: floats(rng, shape, -5, 5), up: floats(rng, shape, -2, 2) },
      run: (t) => swiGlu(t.gate!, t.up!, multiplier),
    };
  });
}

function linearCrossEntropyCases(): CompositionCase[] {
  return [
    { r: 5, d: 4, v: 11, labels: [3, -100, 0, 10, 7], ignoreIndex: -100, scale: 0.0390625 },
    { r: 3, d: 6, v: 7, labels: [2, 5, 6], ignoreIndex: 2, scale: 1.5 },
  ].map(({ r, d, v, labels, ignoreIndex, scale }) => {
    const name = `LinearCrossEntropy hidden[${r},${d}] weight[${v},${d}] labels=${labels} scale=${scale}`;
    const rng = createRng(seedFromString(name));
    return {
      name,
      kernel: 'LinearCrossEntropy',
      grad: 'LinearCrossEntropyGrad',
      inputs: { hidden: floats(rng, [r, d], -2, 2), weight: floats(rng, [v, d]), labels: ints(labels, [r]) },
      run: (t) => linearCrossEntropy(t.hidden!, t.weight!, t.labels!, { scale, ignoreIndex, chunkSize: 4 }),
    };
  });
}

const CASES: CompositionCase[] = [
  ...softmaxCases(),
  ...rmsNormCases(),
  ...rmsNormGatedCases(),
  ...ropeCases(),
  ...causalConv1dCases(),
  ...causalConv1dUpdateCases(),
  ...ssmScanCases(),
  ...ssmStepCases(),
  ...attentionCases(),
  ...crossEntropyCases(),
  ...swiGluCases(),
  ...linearCrossEntropyCases(),
];

// ---------------------------------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------------------------------

type Dtype = 'f64' | 'f32' | 'bf16' | 'f16';

interface Evaluation {
  outputs: Record<string, Float64Array>;
  grads: Record<string, Float64Array>;
  counts: Record<string, { native: number; fallback: number }>;
}

/** ‖a − b‖ / max(‖b‖, tiny); NaN anywhere gives NaN (which fails every bound). */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    diff += d * d;
    norm += b[i]! * b[i]!;
  }
  if (Number.isNaN(diff) || Number.isNaN(norm)) return Number.NaN;
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-300);
}

async function readAll(record: Record<string, Tensor>): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const [key, t] of Object.entries(record)) out[key] = Float64Array.from(await t.data(), Number);
  return out;
}

/**
 * Runs a case with `policy` in `dtype`: the outputs, the gradients of Σ outputs ⊙ dys (seeded cotangents, the
 * same in every run) with respect to every float input, and the dispatch counts. Asserts nothing leaks.
 */
async function evaluate(
  c: CompositionCase,
  dtype: Dtype,
  policy: 'none' | 'all' | readonly FusedKernelName[],
  useOracle: boolean,
): Promise<Evaluation> {
  const before = memory().numTensors;
  const tensors: Record<string, Tensor> = {};
  for (const [key, spec] of Object.entries(c.inputs)) {
    if (spec.kind === 'i32') {
      tensors[key] = tensor(spec.values, spec.shape, 'i32');
      continue;
    }
    // Float inputs are rounded to f32 for every run, so the f32 runs and the f64 oracle see the same values.
    const storeAs = spec.kind === 'state' ? (dtype === 'f64' ? 'f64' : 'f32') : dtype;
    tensors[key] = tensor(Array.from(spec.values, Math.fround), spec.shape, storeAs);
  }
  const floatKeys = Object.keys(c.inputs).filter((key) => c.inputs[key]!.kind !== 'i32');
  const f = useOracle && c.oracle ? c.oracle : c.run;
  const rng = createRng(seedFromString(`${c.name} cotangents`));
  const cotangent = (out: Tensor): Tensor =>
    tensor(Array.from(randomArray(rng, out.size), Math.fround), out.shape, out.dtype);
  setFallbackPolicy(policy);
  resetDispatchCounts();
  let result: Evaluation;
  try {
    const { value, grads } = vjp(
      () => f(tensors),
      floatKeys.map((key) => tensors[key]!),
      (out) => {
        if (!('dataId' in out)) {
          const outs = out as Record<string, Tensor>;
          const keys = Object.keys(outs).sort();
          return Object.fromEntries(
            keys
              .map((key) => [key, cotangent(outs[key]!)])
              .filter(([key]) => !c.seeded || c.seeded.includes(key as string)),
          );
        }
        return cotangent(out as Tensor);
      },
    );
    const counts = dispatchCounts();
    const outputs = await readAll('dataId' in value ? { out: value as Tensor } : (value as Record<string, Tensor>));
    const gradValues = await readAll(Object.fromEntries(floatKeys.map((key, i) => [key, grads[i]!])));
    dispose([value, grads]);
    result = { outputs, grads: gradValues, counts };
  } finally {
    setFallbackPolicy('none');
    dispose(tensors);
  }
  expect(memory().numTensors, 'tensors leaked').toBe(before);
  return result;
}

interface Measured {
  name: string;
  run: string;
  forward: number;
  backward: number;
}
const measured: Measured[] = [];

/** The largest relative L2 error of each output and gradient; fails on a bound or NaN. */
function compare(c: CompositionCase, run: string, got: Evaluation, want: Evaluation, bound: number): void {
  const errors = (a: Record<string, Float64Array>, b: Record<string, Float64Array>, what: string): number => {
    let worst = 0;
    expect(Object.keys(a).sort(), `${what} keys`).toEqual(Object.keys(b).sort());
    for (const key of Object.keys(b)) {
      const e = relL2(a[key]!, b[key]!);
      expect(e, `${run}: ${what} ${key} relative L2`).toBeLessThanOrEqual(bound);
      worst = Math.max(worst, e);
    }
    return worst;
  };
  const forward = errors(got.outputs, want.outputs, 'output');
  const backward = errors(got.grads, want.grads, 'gradient');
  measured.push({ name: c.name, run, forward, backward });
}

const oracles = new Map<string, Evaluation>();

async function oracle(c: CompositionCase): Promise<Evaluation> {
  let want = oracles.get(c.name);
  if (!want) {
    want = await evaluate(c, 'f64', 'none', true);
    oracles.set(c.name, want);
  }
  return want;
}

beforeAll(async () => {
  registerBackend('reference', () => createReferenceBackend());
  await setBackend('reference');
});

afterEach(() => setFallbackPolicy('none'));

afterAll(() => {
  const worst = new Map<string, { forward: number; backward: number }>();
  for (const m of measured) {
    const key = `${m.name.split(' ')[0]} ${m.run}`;
    const w = worst.get(key) ?? { forward: 0, backward: 0 };
    worst.set(key, { forward: Math.max(w.forward, m.forward), backward: Math.max(w.backward, m.backward) });
  }
  const lines = [...worst.entries()].map(
    ([key, w]) => `  ${key.padEnd(40)} forward ${w.forward.toExponential(2)}  backward ${w.backward.toExponential(2)}`,
  );
  console.log(`max relative L2 errors (composition vs reference):\n${lines.join('\n')}`);
});

describe('compositions of the fused kernels against the reference backend', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it('composition f64 (forward composed, backward through core autograd)', async () => {
        const got = await evaluate(c, 'f64', 'all', false);
        expect(got.counts[c.kernel]?.fallback, `${c.kernel} composition ran`).toBeGreaterThan(0);
        expect(got.counts[c.kernel]?.native ?? 0, `${c.kernel} native`).toBe(0);
        compare(c, 'composition f64', got, await oracle(c), 1e-10);
      });

      it('composition vjp f64 (native forward, backward from the composition)', async () => {
        // Forces the backward kernel off; a kernel without one already differentiates its composition.
        const got = await evaluate(c, 'f64', c.grad ? [c.grad] : 'none', false);
        expect(got.counts[c.kernel]?.native, `${c.kernel} ran natively`).toBeGreaterThan(0);
        if (c.grad) expect(got.counts[c.grad]?.fallback, `${c.grad} composition vjp ran`).toBeGreaterThan(0);
        compare(c, 'composition vjp f64', got, await oracle(c), 1e-10);
      });

      it('composition f32 against the f64 reference', async () => {
        const got = await evaluate(c, 'f32', 'all', false);
        expect(got.counts[c.kernel]?.fallback, `${c.kernel} composition ran`).toBeGreaterThan(0);
        compare(c, 'composition f32', got, await oracle(c), 1e-5);
      });

      // The 16-bit dtype rules (compute in f32, round once; SSM states f32): against the reference's native
      // kernels in the same dtype, which compute in f64 and round once.
      for (const [dtype, bound] of [
        ['bf16', 1e-2],
        ['f16', 5e-3],
      ] as const) {
        it(`composition ${dtype} against the native ${dtype} reference`, async () => {
          const got = await evaluate(c, dtype, 'all', false);
          expect(got.counts[c.kernel]?.fallback, `${c.kernel} composition ran`).toBeGreaterThan(0);
          compare(c, `composition ${dtype}`, got, await evaluate(c, dtype, 'none', true), bound);
        });
      }
    });
  }
});
