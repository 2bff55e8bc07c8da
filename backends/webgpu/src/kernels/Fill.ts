/** Fill: a new tensor of `shape` holding `value` rounded to `dtype` (floats through f32; ints truncated, u8 wrapped). */
import type { KernelAttrs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function fill(b: WebGPUBackend, _inputs: unknown, { shape, dtype, value }: KernelAttrs<'Fill'>): TensorInfo {
  const out = b.output(shape, dtype);
  fillData(b, out, value);
  return out;
}

/** Writes `value` into every element of `out` (also used to zero scratch buffers). */
export function fillData(b: WebGPUBackend, out: TensorInfo, value: number): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const elem = elemOf(out.dtype);
  const isFloat = elem === 'f32' || elem === 'f16';
  const int = Number.isFinite(value) ? Math.trunc(value) : 0;
  const ivalue = out.dtype === 'u8' ? ((int % 256) + 256) % 256 : int | 0;
  b.dispatch(
    {
      shader: 'fill',
      bindings: [{ name: 'y', elem, write: true }],
      uniforms: [
        ['n', 'u32'],
        ['fvalue', 'f32'],
        ['ivalue', 'i32'],
      ],
      header: `alias TY = ${elem};\nfn value() -> TY { return TY(${isFloat ? 'P.fvalue' : 'P.ivalue'}); }`,
      workgroupSize: WG,
    },
    [b.data(out)],
    { n, fvalue: value, ivalue },
    Math.ceil(n / WG),
  );
}
