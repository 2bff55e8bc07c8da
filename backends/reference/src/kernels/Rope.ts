/**
 * Rope: GPT-NeoX rotary embedding ("rotate half") over the whole head dim Dh, in f64.
 * x [B, T, H, Dh], positions i32 [B, T]; half = Dh/2; for i < half:
 *   angle      = ± positions[b,t] · theta^(−2i/Dh)        (− with `inverse`)
 *   y[i]       = x[i]·cos(angle) − x[i+half]·sin(angle)
 *   y[i+half]  = x[i+half]·cos(angle) + x[i]·sin(angle)
 * The rotation is orthogonal, so the inverse is also the transpose: Rope's gradient is Rope with `inverse`.
 *
 * The angle, cos and sin are pinned to f32 exactly as transformers computes them (its float64 goldens too):
 *   inv_freq_i = f32(1 / f32(f32(θ) ^ f32(2i/Dh))),  angle = f32(position · inv_freq_i),  cos/sin rounded to f32;
 * everything after that is f64.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** y [B, T, H, Dh] ← rotate(x) at `positions` [B, T]. */
export function ropeForward(
  y: Float64Array,
  x: Float64Array,
  positions: Int32Array,
  theta: number,
  inverse: boolean,
  BT: number,
  H: number,
  Dh: number,
): void {
  const half = Dh / 2;
  const sign = inverse ? -1 : 1;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++)
    invFreq[i] = Math.fround(1 / Math.fround(Math.fround(theta) ** Math.fround((2 * i) / Dh)));
  for (let bt = 0; bt < BT; bt++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[bt] * invFreq[i]);
      const cos = Math.fround(Math.cos(angle));
      const sin = sign * Math.fround(Math.sin(angle));
      for (let h = 0; h < H; h++) {
        const base = (bt * H + h) * Dh;
        const x1 = x[base + i];
        const x2 = x[base + i + half];
        y[base + i] = x1 * cos - x2 * sin;
        y[base + i + half] = x2 * cos + x1 * sin;
      }
    }
  }
}

export function rope(
  store: BufferStore,
  { x, positions }: KernelInputs<'Rope'>,
  attrs: KernelAttrs<'Rope'>,
): TensorInfo {
  const [B, T, H, Dh] = x.shape;
  if (Dh % 2 !== 0) throw new Error(`Rope: the head dim must be even, got ${Dh}`);
  const xs = store.floats(x);
  const y = new Float64Array(xs.length);
  ropeForward(y, xs, store.ints(positions), attrs.theta, attrs.inverse, B * T, H, Dh);
  return store.output(y, x.shape, x.dtype);
}
