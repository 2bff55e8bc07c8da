/** Test inputs and the error measure shared by this package's tests: float64 expectations, relative L2. */

/** Deterministic values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 1073741824 - 1;
  }
  return out;
}

/** ‖got − want‖ / ‖want‖ (infinite when got holds a NaN). */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    if (Number.isNaN(g)) return Number.POSITIVE_INFINITY;
    num += (g - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}
