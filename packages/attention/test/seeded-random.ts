import { type Tensor, tensor } from '@falcon-h1/core-tensor';

/** A small seeded PRNG (mulberry32) for reproducible test inputs: uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An f64 tensor of `shape`, uniform in [−1, 1) from `next`. */
export function uniformTensor(next: () => number, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = 2 * next() - 1;
  return tensor(data, shape, 'f64');
}
