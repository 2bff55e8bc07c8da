/** RmsNorm over the last axis: one workgroup per row (shaders/rms_norm.wgsl). */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function rmsNorm(
  b: WebGPUBackend,
  { x, weight }: KernelInputs<'RmsNorm'>,
  { eps }: KernelAttrs<'RmsNorm'>,
): TensorInfo {
  const out = b.output(x.shape, x.dtype);
  const len = x.shape[x.shape.length - 1]!;
  const rows = len === 0 ? 0 : sizeOf(x.shape) / len;
  if (rows === 0) return out;
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'rms_norm',
      bindings: [
        { name: 'x', elem },
        { name: 'w', elem: elemOf(weight.dtype) },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['rows', 'u32'],
        ['len', 'u32'],
        ['eps', 'f32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(x), b.data(weight), b.data(out)],
    { rows, len, eps },
    rows,
  );
  return out;
}
