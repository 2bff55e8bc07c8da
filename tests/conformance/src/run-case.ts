/**
 * Runs one conformance case on the backend under test and on the reference backend (float64), forward and
 * backward, and compares. Inputs are drawn once, rounded to the dtype under test, and given to both sides, so the
 * comparison measures the backend's arithmetic, not input rounding.
 */
import {
  type Backend,
  type DType,
  dispatchCounts,
  dispose,
  isFloatDType,
  memory,
  resetDispatchCounts,
  roundToDType,
  setFallbackPolicy,
  type Tensor,
  tensor,
  tidy,
  vjp,
} from '@falcon-h1/core-tensor';
import { type CaseInput, type CaseOutputs, type ConformanceCase, caseName } from './case.js';
import { compareValues, TOLERANCE } from './compare.js';
import { createRng, seedFromString } from './random.js';

export type FloatDType = 'f64' | 'f32' | 'f16' | 'bf16';
/** native: fused kernels run natively where the backend has them; composition: every fused kernel is composed. */
export type RunMode = 'native' | 'composition';
/** How the certified kernel actually ran. */
export type KernelPath = 'native' | 'composition' | 'primitive';

export interface CaseResult {
  /** e.g. 'SsmScan(B=2,T=37,...) f32 forward' */
  name: string;
  kernel: string;
  dtype: FloatDType;
  direction: 'forward' | 'backward';
  mode: RunMode;
  path: KernelPath;
  pass: boolean;
  /** max |got − want| / max |want| over all outputs (or gradients). */
  maxRelError: number;
  /** ‖got − want‖ / ‖want‖, the pass criterion. */
  relL2: number;
  tolerance: number;
  /** Wall time of the backend under test, readback included. */
  ms: number;
  error?: string;
}

export interface CaseContext {
  target: Backend;
  reference: Backend;
  dtype: FloatDType;
  mode: RunMode;
  /** Makes `backend` current (for ops without tensor inputs, such as fills inside compositions). */
  use(backend: Backend): Promise<void>;
}

const FUSED_GRAD: Record<string, string> = {
  Softmax: 'SoftmaxGrad',
  RmsNorm: 'RmsNormGrad',
  RmsNormGated: 'RmsNormGatedGrad',
  CausalConv1d: 'CausalConv1dGrad',
  SsmScan: 'SsmScanGrad',
  Attention: 'AttentionGrad',
  CrossEntropy: 'CrossEntropyGrad',
  SwiGlu: 'SwiGluGrad',
  LinearCrossEntropy: 'LinearCrossEntropyGrad',
};

function stateDType(dtype: FloatDType): DType {
  return dtype === 'f64' ? 'f64' : 'f32';
}

function upload(specs: CaseInput[], backend: Backend, dtype: FloatDType, asReference: boolean): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const spec of specs) {
    if (spec.kind === 'i32' || spec.kind === 'u8') {
      out[spec.name] = tensor(spec.values, spec.shape, spec.kind, backend);
      continue;
    }
    const storeAs = spec.kind === 'state' ? stateDType(dtype) : dtype;
    const rounded = Array.from(spec.values, (v) => roundToDType(v, storeAs as FloatDType));
    out[spec.name] = tensor(rounded, spec.shape, asReference ? 'f64' : storeAs, backend);
  }
  return out;
}

function outputList(outputs: CaseOutputs): Array<[string, Tensor]> {
  if ('dataId' in outputs && 'backend' in outputs) return [['out', outputs as Tensor]];
  return Object.entries(outputs as Record<string, Tensor>).filter(([, t]) => t !== undefined);
}

async function readAll(list: Array<[string, Tensor]>): Promise<Map<string, ArrayLike<number> | ArrayLike<bigint>>> {
  const values = new Map<string, ArrayLike<number> | ArrayLike<bigint>>();
  for (const [key, t] of list) values.set(key, await t.data());
  return values;
}

function pathOf(kernel: string, counts: Record<string, { native: number; fallback: number }>): KernelPath {
  const entry = counts[kernel];
  if (!entry) return 'primitive';
  if (entry.fallback > 0) return 'composition';
  return 'native';
}

interface Side {
  outputs: Map<string, ArrayLike<number> | ArrayLike<bigint>>;
  dtypes: Map<string, DType>;
  grads?: Map<string, ArrayLike<number>>;
  forwardPath: KernelPath;
  backwardPath: KernelPath;
  ms: number;
}

async function runSide(
  c: ConformanceCase,
  specs: CaseInput[],
  backend: Backend,
  dtype: FloatDType,
  asReference: boolean,
  mode: RunMode,
  cotangents: Map<string, Float64Array> | undefined,
  use: (b: Backend) => Promise<void>,
): Promise<Side> {
  await use(backend);
  setFallbackPolicy(!asReference && mode === 'composition' ? 'all' : 'none');
  const gradKernel = FUSED_GRAD[c.kernel];
  try {
    const inputs = upload(specs, backend, dtype, asReference);
    try {
      resetDispatchCounts();
      const start = performance.now();
      const outputs = tidy(() => c.run(inputs));
      const list = outputList(outputs);
      const values = await readAll(list);
      const ms = performance.now() - start;
      const forwardPath = pathOf(c.kernel, dispatchCounts());
      const dtypes = new Map(list.map(([k, t]) => [k, t.dtype] as [string, DType]));
      dispose(outputs);
      const side: Side = { outputs: values, dtypes, forwardPath, backwardPath: 'primitive', ms };
      if (cotangents) {
        const diff = specs.filter((s) => (s.kind === 'float' || s.kind === 'state') && s.differentiable !== false);
        const xs = diff.map((s) => inputs[s.name]!);
        resetDispatchCounts();
        const result = vjp(
          () => c.run(inputs),
          xs,
          (value) => {
            const dys: Record<string, Tensor> = {};
            for (const [key, t] of outputList(value)) {
              const ct = cotangents.get(key);
              if (!ct || !isFloatDType(t.dtype)) continue;
              const rounded = Array.from(ct, (v) => roundToDType(v, asReference ? 'f64' : (t.dtype as FloatDType)));
              dys[key] = tensor(rounded, t.shape, t.dtype, backend);
            }
            return 'dataId' in value ? (dys.out as Tensor) : dys;
          },
        );
        const counts = dispatchCounts();
        // A composed forward is differentiated through its primitives: that backward is the composition's too.
        const backward = gradKernel ? pathOf(gradKernel, counts) : pathOf(c.kernel, counts);
        side.backwardPath = backward === 'primitive' && forwardPath === 'composition' ? 'composition' : backward;
        side.grads = new Map();
        for (let i = 0; i < diff.length; i++)
          side.grads.set(diff[i]!.name, (await result.grads[i]!.data()) as ArrayLike<number>);
        dispose(result);
      }
      return side;
    } finally {
      dispose(inputs);
    }
  } finally {
    setFallbackPolicy('none');
  }
}

/** Runs a case and returns its forward result and, where it applies, its backward result. */
export async function runCase(c: ConformanceCase, ctx: CaseContext): Promise<CaseResult[]> {
  const base = `${caseName(c)} ${ctx.dtype}`;
  const suffix = ctx.mode === 'composition' ? ' [composition]' : '';
  const tolerance =
    TOLERANCE[ctx.dtype] * (ctx.dtype === 'bf16' || ctx.dtype === 'f16' ? (c.toleranceScale16 ?? 1) : 1);
  const before = memory().numTensors;
  const failure = (direction: 'forward' | 'backward', error: string): CaseResult => ({
    name: `${base} ${direction}${suffix}`,
    kernel: c.kernel,
    dtype: ctx.dtype,
    direction,
    mode: ctx.mode,
    path: 'primitive',
    pass: false,
    maxRelError: Infinity,
    relL2: Infinity,
    tolerance,
    ms: 0,
    error,
  });
  let specs: CaseInput[];
  let cotangents: Map<string, Float64Array> | undefined;
  const rng = createRng(seedFromString(caseName(c)));
  try {
    specs = c.inputs(rng);
  } catch (error) {
    return [failure('forward', `inputs: ${(error as Error).message}`)];
  }
  let want: Side;
  try {
    // Cotangents are drawn after the reference forward shows which outputs exist.
    const probe = await runSide(c, specs, ctx.reference, ctx.dtype, true, 'native', undefined, ctx.use);
    const differentiable =
      c.backward !== false &&
      specs.some((s) => (s.kind === 'float' || s.kind === 'state') && s.differentiable !== false);
    if (differentiable) {
      cotangents = new Map();
      for (const [key, values] of probe.outputs) {
        if (!isFloatDType(probe.dtypes.get(key)!)) continue;
        const ct = new Float64Array(values.length);
        for (let i = 0; i < ct.length; i++) ct[i] = rng.normal();
        cotangents.set(key, ct);
      }
      if (cotangents.size === 0) cotangents = undefined;
    }
    want = cotangents ? await runSide(c, specs, ctx.reference, ctx.dtype, true, 'native', cotangents, ctx.use) : probe;
  } catch (error) {
    return [failure('forward', `reference failed: ${(error as Error).message}`)];
  }
  let got: Side;
  try {
    got = await runSide(c, specs, ctx.target, ctx.dtype, false, ctx.mode, cotangents, ctx.use);
  } catch (error) {
    return [failure('forward', (error as Error).message)];
  }
  const results: CaseResult[] = [];
  const judge = (
    direction: 'forward' | 'backward',
    gotValues: Map<string, ArrayLike<number> | ArrayLike<bigint>>,
    wantValues: Map<string, ArrayLike<number> | ArrayLike<bigint>>,
    exactKeys: Set<string>,
    path: KernelPath,
    ms: number,
  ): CaseResult => {
    let relL2 = 0;
    let maxRelError = 0;
    const problems: string[] = [];
    for (const [key, w] of wantValues) {
      const g = gotValues.get(key);
      if (!g) {
        problems.push(`${key}: missing`);
        continue;
      }
      const cmp = compareValues(g, w, exactKeys.has(key));
      relL2 = Math.max(relL2, cmp.relL2);
      maxRelError = Math.max(maxRelError, cmp.maxRelError);
      if (cmp.problem) problems.push(`${key}: ${cmp.problem}`);
      else if (!(cmp.relL2 <= tolerance)) problems.push(`${key}: relL2 ${cmp.relL2.toExponential(2)} > ${tolerance}`);
    }
    return {
      name: `${base} ${direction}${suffix}`,
      kernel: c.kernel,
      dtype: ctx.dtype,
      direction,
      mode: ctx.mode,
      path,
      pass: problems.length === 0,
      maxRelError,
      relL2,
      tolerance,
      ms,
      ...(problems.length ? { error: problems.join('; ') } : {}),
    };
  };
  const exact = new Set([...want.dtypes].filter(([, d]) => !isFloatDType(d)).map(([k]) => k));
  results.push(judge('forward', got.outputs, want.outputs, exact, got.forwardPath, got.ms));
  if (cotangents && want.grads && got.grads) {
    results.push(judge('backward', got.grads, want.grads, new Set(), got.backwardPath, 0));
  }
  const leaked = memory().numTensors - before;
  if (leaked !== 0) {
    for (const r of results) {
      r.pass = false;
      r.error = `${r.error ? `${r.error}; ` : ''}leaked ${leaked} tensors`;
    }
  }
  return results;
}
