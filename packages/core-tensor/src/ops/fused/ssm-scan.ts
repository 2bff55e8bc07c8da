/** The Mamba2 SSD scan and its one-step update (fused kernels `SsmScan`, `SsmStep`). */
import { composeSsmScan, composeSsmStep } from '../../compositions/ssm-scan.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

export interface SsmScanInputs {
  /** [B, T, H, P] */
  x: Tensor;
  /** [B, T, H], already softplus'ed and clamped; x's dtype or f32 (then A and D are f32 too) */
  dt: Tensor;
  /** [H], negative (−exp(A_log)), dt's dtype */
  A: Tensor;
  /** [B, T, G, N] */
  Bm: Tensor;
  /** [B, T, G, N] */
  Cm: Tensor;
  /** [H] skip connection, dt's dtype */
  D?: Tensor;
  /** [B, H, P, N] f32 (f64 with f64 inputs) */
  initialState?: Tensor;
  /** i32 [B, T] document ids */
  seqIdx?: Tensor;
}

function expect(name: string, what: string, t: Tensor | undefined, dtype: string, shape: readonly number[]): void {
  if (!t) return;
  if (t.dtype !== dtype || formatShape(t.shape) !== formatShape(shape)) {
    throw new Error(`${name}: ${what} must be ${dtype}${formatShape(shape)}, got ${t.dtype}${formatShape(t.shape)}`);
  }
}

/** The state dtype for activations of `dtype`: f64 stays f64, everything else keeps states in f32. */
export function ssmStateDType(dtype: string): 'f64' | 'f32' {
  return dtype === 'f64' ? 'f64' : 'f32';
}

/**
 * The dtype of the scan's dt, A and D: the activations' (x, Bm, Cm) dtype, or — for 16-bit activations — the state
 * dtype f32, so that a bf16/f16 model keeps its softplus'ed dt, A = −exp(A_log) and D exact while x, B and C stay
 * 16-bit (the kernels compute in f32 either way). dt, A and D share one dtype, which is also y's.
 */
function ssmScanParameterDType(name: string, xDType: string, dt: Tensor): string {
  const wide = ssmStateDType(xDType);
  if (dt.dtype !== xDType && dt.dtype !== wide) {
    const allowed = wide === xDType ? `${xDType} (x's dtype)` : `${xDType} (x's dtype) or ${wide}`;
    throw new Error(`${name}: dt must be ${allowed}, got ${dt.dtype}`);
  }
  return dt.dtype;
}

function checkGroups(name: string, h: number, g: number): void {
  if (g <= 0 || h % g !== 0) throw new Error(`${name}: ${h} heads cannot be split into ${g} groups`);
}

/**
 * Runs the selective scan over a sequence: { y [B, T, H, P] in dt's dtype, finalState [B, H, P, N] }. y follows dt
 * (not x) so that 16-bit x/B/C with f32 dt/A/D give an f32 y: the f32 gated norm after the scan then reads the
 * kernel's f32 accumulation without a 16-bit rounding and a cast back.
 */
export function ssmScan(inputs: SsmScanInputs, options: { chunkSize: number }): { y: Tensor; finalState: Tensor } {
  const { x } = inputs;
  if (!isFloatDType(x.dtype) || x.rank !== 4)
    throw new Error(`ssmScan: x must be float [B, T, H, P], got ${x.dtype}${formatShape(x.shape)}`);
  const [b, t, h, p] = x.shape as [number, number, number, number];
  if (inputs.Bm.rank !== 4) throw new Error(`ssmScan: Bm must be [B, T, G, N], got ${formatShape(inputs.Bm.shape)}`);
  const [, , g, n] = inputs.Bm.shape as [number, number, number, number];
  checkGroups('ssmScan', h, g);
  const state = ssmStateDType(x.dtype);
  const parameters = ssmScanParameterDType('ssmScan', x.dtype, inputs.dt);
  expect('ssmScan', 'dt', inputs.dt, parameters, [b, t, h]);
  expect('ssmScan', 'A', inputs.A, parameters, [h]);
  expect('ssmScan', 'Bm', inputs.Bm, x.dtype, [b, t, g, n]);
  expect('ssmScan', 'Cm', inputs.Cm, x.dtype, [b, t, g, n]);
  expect('ssmScan', 'D', inputs.D, parameters, [h]);
  expect('ssmScan', 'initialState', inputs.initialState, state, [b, h, p, n]);
  expect('ssmScan', 'seqIdx', inputs.seqIdx, 'i32', [b, t]);
  if (!Number.isInteger(options.chunkSize) || options.chunkSize <= 0) {
    throw new Error(`ssmScan: chunkSize must be a positive integer, got ${options.chunkSize}`);
  }
  return runFused('SsmScan', { ...inputs }, { chunkSize: options.chunkSize }, composeSsmScan) as {
    y: Tensor;
    finalState: Tensor;
  };
}

export interface SsmStepInputs {
  /** [B, H, P, N] f32 */
  state: Tensor;
  /** [B, H, P] */
  x: Tensor;
  /** [B, H] */
  dt: Tensor;
  /** [H] */
  A: Tensor;
  /** [B, G, N] */
  Bm: Tensor;
  /** [B, G, N] */
  Cm: Tensor;
  /** [H] */
  D?: Tensor;
}

/** One decode step: { y [B, H, P], state [B, H, P, N] }. */
export function ssmStep(inputs: SsmStepInputs): { y: Tensor; state: Tensor } {
  const { x } = inputs;
  if (!isFloatDType(x.dtype) || x.rank !== 3)
    throw new Error(`ssmStep: x must be float [B, H, P], got ${x.dtype}${formatShape(x.shape)}`);
  const [b, h, p] = x.shape as [number, number, number];
  if (inputs.Bm.rank !== 3) throw new Error(`ssmStep: Bm must be [B, G, N], got ${formatShape(inputs.Bm.shape)}`);
  const [, g, n] = inputs.Bm.shape as [number, number, number];
  checkGroups('ssmStep', h, g);
  expect('ssmStep', 'state', inputs.state, ssmStateDType(x.dtype), [b, h, p, n]);
  expect('ssmStep', 'dt', inputs.dt, x.dtype, [b, h]);
  expect('ssmStep', 'A', inputs.A, x.dtype, [h]);
  expect('ssmStep', 'Bm', inputs.Bm, x.dtype, [b, g, n]);
  expect('ssmStep', 'Cm', inputs.Cm, x.dtype, [b, g, n]);
  expect('ssmStep', 'D', inputs.D, x.dtype, [h]);
  return runFused('SsmStep', { ...inputs }, {}, composeSsmStep) as { y: Tensor; state: Tensor };
}
