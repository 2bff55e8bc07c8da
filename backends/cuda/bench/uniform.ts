/** uniform.ts — the benchmarks' reproducible inputs: xorshift32 floats, uniform in [lo, hi), one stream per process. */
let seed = 12345;

export function uniform(n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out[i] = lo + ((seed >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}
