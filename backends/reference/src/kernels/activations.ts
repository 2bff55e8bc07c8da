/**
 * Scalar activation functions and their derivatives, in f64. Shared by the unary kernels and by the fused
 * kernels that apply them inline (RmsNormGated, CausalConv1d).
 */

export function sigmoidOf(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function siluOf(x: number): number {
  return x * sigmoidOf(x);
}

/** d silu / dx = σ(x)·(1 + x·(1 − σ(x))). */
export function siluGradOf(x: number): number {
  const s = sigmoidOf(x);
  return s * (1 + x * (1 - s));
}

/** ln(1+e^x) = max(x,0) + log1p(e^-|x|): no overflow for large x, no underflow to 0 for very negative x. */
export function softplusOf(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
