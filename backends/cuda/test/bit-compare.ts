/** Bit-for-bit comparison of GPU results: the fused kernels' tests ask for the very bits of what they replace. */
import { cast, type Tensor } from '@falcon-h1/core-tensor';

/** The tensors' values widened to f32 (exact for f16/bf16), read back. */
export async function read(ts: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map(async (t) => (await cast(t, 'f32').data()) as Float32Array));
}

/** Positions whose bits differ (NaN included) — a count, so that millions of state values compare in a loop. */
export function differences(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) count++;
  return count;
}
