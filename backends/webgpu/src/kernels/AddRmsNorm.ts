/**
 * AddRmsNorm: the residual sum and the RmsNorm of that stored sum in one dispatch, one workgroup per row
 * (shaders/add_rms_norm.wgsl) — the bits of Add followed by RmsNorm here, one dispatch (and its host encoding) fewer.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function addRmsNorm(
  b: WebGPUBackend,
  { x, residual, weight }: KernelInputs<'AddRmsNorm'>,
  { eps }: KernelAttrs<'AddRmsNorm'>,
): KernelOutputs<'AddRmsNorm'> {
  const sum = b.output(x.shape, x.dtype);
  const normed = b.output(x.shape, x.dtype);
  const len = x.shape[x.shape.length - 1]!;
  const rows = len === 0 ? 0 : sizeOf(x.shape) / len;
  if (rows === 0) return { sum, normed };
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'add_rms_norm',
      bindings: [
        { name: 'x', elem },
        { name: 'r', elem },
        { name: 'w', elem: elemOf(weight.dtype) },
        { name: 'sum', elem, write: true },
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
    [b.data(x), b.data(residual), b.data(weight), b.data(sum), b.data(normed)],
    { rows, len, eps },
    rows,
  );
  return { sum, normed };
}
