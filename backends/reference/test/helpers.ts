/**
 * Test helpers: tensors on a ReferenceBackend from plain numbers, readback as numbers, a seeded random source,
 * and a central-finite-difference gradient check that runs the kernels on the backend itself.
 */
import type { DType, StorageArray, TensorInfo } from '@falcon-h1/core-tensor';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '@falcon-h1/core-tensor';
import { expect } from 'vitest';
import type { ReferenceBackend } from '../src/index.js';

/** Storage form of plain numbers for `dtype` (16-bit floats: rounded to nearest even, as bits). */
export function toStorage(values: ArrayLike<number>, dtype: DType): StorageArray {
  const list = Array.from(values);
  switch (dtype) {
    case 'f64':
      return Float64Array.from(list);
    case 'f32':
      return Float32Array.from(list);
    case 'f16':
      return Uint16Array.from(list, f32ToF16Bits);
    case 'bf16':
      return Uint16Array.from(list, f32ToBf16Bits);
    case 'i32':
      return Int32Array.from(list);
    case 'u8':
      return Uint8Array.from(list);
    case 'i64':
      return BigInt64Array.from(list, (v) => BigInt(v));
  }
}

/** A tensor on `backend` holding `values` (f64 unless told). */
export function tensor(
  backend: ReferenceBackend,
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType = 'f64',
): TensorInfo {
  return { dataId: backend.write(toStorage(values, dtype), shape, dtype), shape: [...shape], dtype };
}

/** The values of `info` as plain numbers (16-bit floats decoded; i64 converted with Number). */
export function values(backend: ReferenceBackend, info: TensorInfo): number[] {
  const stored = backend.readSync(info);
  if (info.dtype === 'f16') return Array.from(stored as Uint16Array, f16BitsToF32);
  if (info.dtype === 'bf16') return Array.from(stored as Uint16Array, bf16BitsToF32);
  if (info.dtype === 'i64') return Array.from(stored as BigInt64Array, Number);
  return Array.from(stored as Exclude<StorageArray, BigInt64Array>);
}

/** Reads and disposes `info`. */
export function take(backend: ReferenceBackend, info: TensorInfo): number[] {
  const result = values(backend, info);
  backend.disposeData(info.dataId);
  return result;
}

export function dispose(backend: ReferenceBackend, ...infos: (TensorInfo | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/** A seeded uniform [0, 1) source (mulberry32): deterministic tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in [lo, hi). */
export function uniform(random: () => number, n: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** max |actual − expected| / max(‖expected‖∞, floor). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-2): number {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let maxRef = floor;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return Number.isNaN(maxDiff) ? Number.POSITIVE_INFINITY : maxDiff / maxRef;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-12): void {
  const error = relativeError(actual, expected, 1);
  if (!(error <= tolerance)) {
    expect.fail(
      `relative error ${error} > ${tolerance}\n actual   ${Array.from(actual)}\n expected ${Array.from(expected)}`,
    );
  }
}

/** An f64 input of a gradient check (differentiated) or a fixed integer input (seqIdx, positions, labels). */
export type CheckInput = { values: Float64Array; shape: number[] } | { ints: number[]; shape: number[] };

export interface GradCheck {
  /** Every input of the kernel; f64 ones are differentiated when named in `wrt`. */
  inputs: Record<string, CheckInput>;
  /** Names of the inputs to differentiate. */
  wrt: string[];
  /** Runs the forward kernel, returning its differentiable outputs in a fixed order. */
  forward: (t: Record<string, TensorInfo>) => TensorInfo[];
  /** Runs the *Grad kernel given cotangents of the forward outputs; keys are the `wrt` names. */
  backward: (t: Record<string, TensorInfo>, cotangents: TensorInfo[]) => Record<string, TensorInfo | undefined>;
  /** Finite-difference step (default 1e-5). */
  step?: number;
}

/**
 * Checks a *Grad kernel against central finite differences of its forward: with random cotangents w_k, the loss
 * L = Σ_k <w_k, out_k> has ∂L/∂input = the Grad kernel's output. Returns the worst relative error per input.
 * Leaves no buffer behind.
 */
export function checkGradient(backend: ReferenceBackend, check: GradCheck, seed = 1): Record<string, number> {
  const random = seededRandom(seed);
  const upload = (inputs: Record<string, CheckInput>): Record<string, TensorInfo> =>
    Object.fromEntries(
      Object.entries(inputs).map(([name, input]) => [
        name,
        'ints' in input ? tensor(backend, input.ints, input.shape, 'i32') : tensor(backend, input.values, input.shape),
      ]),
    );
  const run = (inputs: Record<string, CheckInput>): number[][] => {
    const t = upload(inputs);
    const outs = check.forward(t).map((out) => take(backend, out));
    dispose(backend, ...Object.values(t));
    return outs;
  };
  const cotangents = run(check.inputs).map((out) => uniform(random, out.length));
  const loss = (inputs: Record<string, CheckInput>): number =>
    run(inputs).reduce((total, out, k) => total + out.reduce((s, v, i) => s + v * cotangents[k][i], 0), 0);

  // Analytic gradients from the Grad kernel.
  const t = upload(check.inputs);
  const forwardShapes = check.forward(t).map((out) => {
    backend.disposeData(out.dataId);
    return out.shape;
  });
  const cotangentTensors = cotangents.map((w, k) => tensor(backend, w, forwardShapes[k]));
  const grads = check.backward(t, cotangentTensors);
  const analytic: Record<string, number[]> = {};
  for (const [name, info] of Object.entries(grads)) if (info) analytic[name] = take(backend, info);
  dispose(backend, ...Object.values(t), ...cotangentTensors);

  // Numerical gradients by central differences.
  const h = check.step ?? 1e-5;
  const errors: Record<string, number> = {};
  for (const name of check.wrt) {
    const input = check.inputs[name];
    if (!input || 'ints' in input) throw new Error(`checkGradient: '${name}' is not an f64 input`);
    expect(analytic[name], `the Grad kernel returns d${name}`).toBeDefined();
    const numeric = new Float64Array(input.values.length);
    for (let i = 0; i < numeric.length; i++) {
      const plus = input.values.slice();
      const minus = input.values.slice();
      plus[i] += h;
      minus[i] -= h;
      const lp = loss({ ...check.inputs, [name]: { values: plus, shape: input.shape } });
      const lm = loss({ ...check.inputs, [name]: { values: minus, shape: input.shape } });
      numeric[i] = (lp - lm) / (2 * h);
    }
    errors[name] = relativeError(analytic[name], numeric);
  }
  return errors;
}

/** Asserts every error of a checkGradient result is ≤ tolerance, naming the input that fails. */
export function expectGradientsMatch(errors: Record<string, number>, tolerance = 1e-6): void {
  for (const [name, error] of Object.entries(errors)) {
    expect(error, `relative error of d${name}`).toBeLessThanOrEqual(tolerance);
  }
}

export function f64(random: () => number, shape: number[], lo = -1, hi = 1): CheckInput {
  return { values: uniform(random, sizeOf(shape), lo, hi), shape };
}

export function i32(ints: number[], shape: number[]): CheckInput {
  return { ints, shape };
}
