/** RmsNormGated (Mamba2's grouped gated RMSNorm): one workgroup per (row, group) (shaders/rms_norm_gated.wgsl). */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function rmsNormGated(
  b: WebGPUBackend,
  { x, z, weight }: KernelInputs<'RmsNormGated'>,
  { eps, groupSize, normBeforeGate }: KernelAttrs<'RmsNormGated'>,
): TensorInfo {
  const out = b.output(x.shape, x.dtype);
  const len = x.shape[x.shape.length - 1]!;
  const rows = len === 0 ? 0 : sizeOf(x.shape) / len;
  const items = rows * (len / groupSize);
  if (items === 0) return out;
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'rms_norm_gated',
      bindings: [
        { name: 'x', elem },
        { name: 'z', elem },
        { name: 'w', elem: elemOf(weight.dtype) },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['items', 'u32'],
        ['len', 'u32'],
        ['gs', 'u32'],
        ['eps', 'f32'],
      ],
      header: `alias TY = ${elem};\nconst BEFORE: bool = ${normBeforeGate};`,
      workgroupSize: WG,
    },
    [b.data(x), b.data(z), b.data(weight), b.data(out)],
    { items, len, gs: groupSize, eps },
    items,
  );
  return out;
}
