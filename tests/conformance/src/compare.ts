/**
 * How outputs are compared with the float64 reference: relative L2 error (‖got − want‖ / ‖want‖), the largest
 * elementwise error relative to the reference's largest magnitude, and NaN/Inf agreement. NaN never passes.
 */
import type { DType } from '@falcon-h1/core-tensor';

export interface Comparison {
  /** ‖got − want‖₂ / max(‖want‖₂, tiny). */
  relL2: number;
  /** max |got − want| / max(max |want|, tiny). */
  maxRelError: number;
  /** Non-empty when the comparison fails for a reason other than size of error (NaN, length, exactness). */
  problem?: string;
}

/** Relative-L2 bounds per dtype of the computation under test (the bounds: fp32 1e-5, bf16 1e-2). */
export const TOLERANCE: Readonly<Record<DType, number>> = {
  f64: 1e-12,
  f32: 1e-5,
  f16: 5e-3,
  bf16: 1e-2,
  i32: 0,
  u8: 0,
  i64: 0,
};

type Values = ArrayLike<number> | ArrayLike<bigint>;

export function compareValues(got: Values, want: Values, exact: boolean): Comparison {
  if (got.length !== want.length)
    return { relL2: Infinity, maxRelError: Infinity, problem: `length ${got.length} ≠ ${want.length}` };
  let diff2 = 0;
  let ref2 = 0;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < got.length; i++) {
    const g = Number(got[i]);
    const w = Number(want[i]);
    if (Number.isNaN(g) || Number.isNaN(w)) {
      return { relL2: Infinity, maxRelError: Infinity, problem: `NaN at element ${i} (got ${g}, want ${w})` };
    }
    if (!Number.isFinite(g) || !Number.isFinite(w)) {
      if (g !== w)
        return {
          relL2: Infinity,
          maxRelError: Infinity,
          problem: `infinity mismatch at element ${i} (got ${g}, want ${w})`,
        };
      continue;
    }
    const d = g - w;
    diff2 += d * d;
    ref2 += w * w;
    maxDiff = Math.max(maxDiff, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(w));
  }
  const tiny = 1e-300;
  const relL2 = Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), tiny);
  const maxRelError = maxDiff / Math.max(maxRef, tiny);
  const result: Comparison = { relL2: diff2 === 0 ? 0 : relL2, maxRelError: maxDiff === 0 ? 0 : maxRelError };
  if (exact && maxDiff !== 0) result.problem = `not exact: max difference ${maxDiff}`;
  return result;
}
