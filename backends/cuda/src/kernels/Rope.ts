/**
 * Rope (native/kernels/rope.cu). The inverse frequencies are computed here exactly as the contract pins them
 * (f32(1 / f32(f32(θ) ^ f32(2i/Dh)))) and uploaded once per (θ, Dh) as a backend constant (no upload per call, so
 * the kernel can be captured into a graph), so device and oracle rotate by the very same f32 angles.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function inverseFrequencies(theta: number, Dh: number): Float32Array {
  const half = Dh / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = Math.fround(1 / Math.fround(Math.fround(theta) ** Math.fround((2 * i) / Dh)));
  return out;
}

export function rope(backend: CudaBackend, { x, positions }: KernelInputs<'Rope'>, attrs: KernelAttrs<'Rope'>) {
  const [B, T, H, Dh] = x.shape as [number, number, number, number];
  if (Dh % 2 !== 0) throw new Error(`Rope: the head dim must be even, got ${Dh}`);
  const out: TensorInfo = backend.output(x.shape, x.dtype);
  const freq = backend.constant(`rope:${attrs.theta}:${Dh}`, () => inverseFrequencies(attrs.theta, Dh));
  backend.ctx.Rope(
    backend.id(out),
    backend.id(x),
    backend.id(positions),
    backend.id(freq),
    backend.code(x.dtype),
    B * T,
    H,
    Dh,
    attrs.inverse,
  );
  return out;
}
