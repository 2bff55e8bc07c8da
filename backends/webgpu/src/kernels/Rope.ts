/**
 * Rope (GPT-NeoX rotate-half): one invocation per (b·t, h, i < Dh/2) (shaders/rope.wgsl). The inverse
 * frequencies are computed on the host exactly as the contract specifies (f32 steps) and cached on the GPU.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type GpuData, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

/** The inverse frequencies θ^(−2i/Dh), i < Dh/2, in f32 steps as the contract says; a cached GPU constant. */
export function ropeInverseFrequencies(b: WebGPUBackend, theta: number, dh: number): GpuData {
  const f32 = Math.fround;
  const inv = Float32Array.from({ length: dh / 2 }, (_, i) => f32(1 / f32(f32(theta) ** f32((2 * i) / dh))));
  return b.constant(`rope:${theta}:${dh}`, inv);
}

export function rope(
  b: WebGPUBackend,
  { x, positions }: KernelInputs<'Rope'>,
  { theta, inverse }: KernelAttrs<'Rope'>,
): TensorInfo {
  const [, , heads, dh] = x.shape as [number, number, number, number];
  if (dh % 2 !== 0) throw new Error(`webgpu Rope: the head dim must be even, got ${dh}`);
  const out = b.output(x.shape, x.dtype);
  const half = dh / 2;
  const n = (sizeOf(x.shape) / dh) * half;
  if (n === 0) return out;
  const freqs = ropeInverseFrequencies(b, theta, dh);
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'rope',
      bindings: [
        { name: 'x', elem },
        { name: 'pos', elem: 'i32' },
        { name: 'inv_freq', elem: 'f32' },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['half', 'u32'],
        ['heads', 'u32'],
        ['sign', 'f32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(x), b.data(positions), freqs, b.data(out)],
    { n, half, heads, sign: inverse ? -1 : 1 },
    Math.ceil(n / WG),
  );
  return out;
}
