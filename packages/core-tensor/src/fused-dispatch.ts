/**
 * Dispatch of fused kernels: the backend's native kernel when it has one that handles the inputs, otherwise
 * core's composition of primitives (src/compositions/). Gradients of fused kernels follow the same rule: the
 * backend's `<Kernel>Grad` kernel when present, otherwise the vector-Jacobian product of the composition.
 *
 * The conformance suite uses `setFallbackPolicy` to force compositions on any backend (so compositions are
 * certified everywhere) and `dispatchCounts` to report which path ran.
 */
import { vjp } from './autograd.js';
import { isFloatDType } from './dtype.js';
import { ENGINE, type GradFunc, type TapeNode, type TensorInputs, type TensorOutputs } from './engine.js';
import type { Backend, FusedKernelName, KernelAttrs, KernelInputs } from './kernel-contract.js';
import type { Tensor } from './tensor.js';

/** A composition: the fused kernel's semantics written with core ops. */
export type Composition<K extends FusedKernelName> = (
  inputs: TensorInputs<K>,
  attrs: KernelAttrs<K>,
) => TensorOutputs<K>;

let forced: 'all' | Set<FusedKernelName> = new Set();
const counts = new Map<string, { native: number; fallback: number }>();

/** Forces the composition for some fused kernels (or 'all'), e.g. to test compositions on a native backend. */
export function setFallbackPolicy(force: 'none' | 'all' | readonly FusedKernelName[]): void {
  forced = force === 'all' ? 'all' : new Set(force === 'none' ? [] : force);
}

/** How many times each fused kernel ran natively and through its composition since the last reset. */
export function dispatchCounts(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...counts.entries()].map(([k, v]) => [k, { ...v }]));
}

export function resetDispatchCounts(): void {
  counts.clear();
}

/** Counts one dispatch of a fused kernel (for kernels such as AdamW that dispatch outside `runFused`). */
export function recordDispatch(name: string, path: 'native' | 'fallback'): void {
  count(name, path);
}

function count(name: string, path: 'native' | 'fallback'): void {
  const entry = counts.get(name) ?? { native: 0, fallback: 0 };
  entry[path]++;
  counts.set(name, entry);
}

/** Whether `backend` would run `name` natively for these inputs: true, or the reason it would not. */
export function nativeSupport<K extends FusedKernelName>(
  backend: Backend,
  name: K,
  inputs: KernelInputs<K>,
  attrs: KernelAttrs<K>,
): true | string {
  if (forced === 'all' || forced.has(name)) return 'composition forced by setFallbackPolicy';
  if (!backend.kernels[name]) return `backend '${backend.name}' has no ${name} kernel`;
  return backend.supportsKernel ? backend.supportsKernel(name, inputs, attrs) : true;
}

function backendOfInputs(inputs: Record<string, Tensor | Tensor[] | undefined>): Backend {
  for (const value of Object.values(inputs)) {
    if (value === undefined) continue;
    const t = Array.isArray(value) ? value[0] : value;
    if (t) return t.backend;
  }
  throw new Error('internal error: a fused kernel without tensor inputs');
}

/** Runs a fused kernel natively when possible, else its composition. */
export function runFused<K extends FusedKernelName>(
  name: K,
  inputs: TensorInputs<K>,
  attrs: KernelAttrs<K>,
  composition: Composition<K>,
): TensorOutputs<K> {
  const backend = backendOfInputs(inputs as Record<string, Tensor | Tensor[] | undefined>);
  if (nativeSupport(backend, name, inputs as unknown as KernelInputs<K>, attrs) === true) {
    count(name, 'native');
    return ENGINE.runKernel(name, inputs, attrs);
  }
  count(name, 'fallback');
  return composition(inputs, attrs);
}

/**
 * Runs an inference-only fused kernel that writes into its variable inputs (AttentionDecodeStep,
 * SsmDecodeStepInPlace, ParallelMixersDecodeStep) outside any tape: natively when possible, else `compose` (which
 * writes the variables with `overwrite`, or dispatches such kernels in turn) in a scope of its own, so that only what
 * it returns survives.
 */
export function runFusedInPlace<K extends FusedKernelName>(
  name: K,
  inputs: TensorInputs<K>,
  attrs: KernelAttrs<K>,
  compose: () => TensorOutputs<K>,
): TensorOutputs<K> {
  const backend = backendOfInputs(inputs as Record<string, Tensor | Tensor[] | undefined>);
  return ENGINE.noGrad(() => {
    if (nativeSupport(backend, name, inputs as unknown as KernelInputs<K>, attrs) === true) {
      count(name, 'native');
      return ENGINE.runKernel(name, inputs, attrs);
    }
    count(name, 'fallback');
    return ENGINE.tidy(compose);
  });
}

/**
 * The vector-Jacobian product of a composition, for a fused kernel whose backend has no backward kernel:
 * re-runs the composition on the saved inputs under a fresh tape and differentiates it.
 */
export function compositionVjp<K extends FusedKernelName>(
  composition: Composition<K>,
  node: TapeNode,
  dys: Readonly<Record<string, Tensor | undefined>>,
): Record<string, Tensor | undefined> {
  const keys = Object.keys(node.inputs).filter((key) => {
    const t = node.inputs[key];
    return t !== undefined && !Array.isArray(t) && isFloatDType(t.dtype);
  });
  const xs = keys.map((key) => node.inputs[key] as Tensor);
  const single = 'out' in node.outputs;
  const { value, grads } = vjp(
    () => composition(node.inputs as TensorInputs<K>, node.attrs as KernelAttrs<K>) as Tensor | Record<string, Tensor>,
    xs,
    single ? [dys.out] : dys,
  );
  if (single) (value as Tensor).dispose();
  else for (const t of Object.values(value as Record<string, Tensor | undefined>)) t?.dispose();
  return Object.fromEntries(keys.map((key, i) => [key, grads[i]]));
}

/** How a fused kernel's gradient maps onto the backend's backward kernel (whose attrs equal the forward's). */
export interface NativeGrad<G extends FusedKernelName> {
  readonly kernel: G;
  /** The backward kernel's inputs from the output gradients and the saved forward inputs/outputs. */
  inputs(dys: Readonly<Record<string, Tensor | undefined>>, node: TapeNode): TensorInputs<G>;
  /** The backward kernel's outputs, keyed by the forward kernel's input names. */
  outputs(result: TensorOutputs<G>): Record<string, Tensor | undefined>;
}

/**
 * Builds the gradient of a fused kernel: the backend's backward kernel when it has one for these inputs,
 * otherwise the composition's vjp.
 */
export function fusedGradient<K extends FusedKernelName, G extends FusedKernelName>(
  composition: Composition<K>,
  nativeGrad?: NativeGrad<G>,
): GradFunc {
  return (dys, node) => {
    if (nativeGrad) {
      const backend = backendOfInputs(node.inputs as Record<string, Tensor | Tensor[] | undefined>);
      // Build the backward kernel's inputs (possibly zero-filled cotangents) only if the backend has the kernel.
      if (backend.kernels[nativeGrad.kernel] && !(forced === 'all' || forced.has(nativeGrad.kernel))) {
        const inputs = nativeGrad.inputs(dys, node);
        const attrs = node.attrs as KernelAttrs<G>;
        if (nativeSupport(backend, nativeGrad.kernel, inputs as unknown as KernelInputs<G>, attrs) === true) {
          count(nativeGrad.kernel, 'native');
          return nativeGrad.outputs(ENGINE.runKernel(nativeGrad.kernel, inputs, attrs));
        }
        // (Any zero-filled cotangent made above is freed with the enclosing vjp scope; the other inputs are
        // the forward's saved tensors and the backward pass's own gradients, which are not ours to free.)
      }
      count(nativeGrad.kernel, 'fallback');
    }
    return compositionVjp(composition, node, dys);
  };
}
