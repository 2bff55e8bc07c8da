/**
 * Cast: float→float rounds to nearest (through f32); float→int truncates toward zero and wraps like a typed-array
 * store (NaN/±inf → 0); int→float via f32; to u8 wraps modulo 256.
 */
import type { DType, KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { copy } from './Copy.js';
import { WG } from './elementwise-factories.js';

function conversion(from: DType, to: DType): string {
  const float = (d: DType) => d === 'f32' || d === 'f16';
  if (float(from)) {
    if (float(to)) return `return TY(f32(v));`;
    if (to === 'i32') return 'return f32_to_i32_wrap(f32(v));';
    return 'return bitcast<u32>(f32_to_i32_wrap(f32(v))) & 255u;';
  }
  if (float(to)) return 'return TY(f32(v));';
  if (to === 'u8') return from === 'u8' ? 'return v;' : 'return bitcast<u32>(v) & 255u;';
  return 'return i32(v);';
}

/** Converts every element of `x` into the (already allocated) `out` of another dtype. */
export function castInto(b: WebGPUBackend, x: TensorInfo, out: TensorInfo): void {
  const n = sizeOf(x.shape);
  if (n === 0) return;
  const tx = elemOf(x.dtype);
  const ty = elemOf(out.dtype);
  b.dispatch(
    {
      shader: 'cast',
      bindings: [
        { name: 'x', elem: tx },
        { name: 'y', elem: ty, write: true },
      ],
      uniforms: [['n', 'u32']],
      header: `alias TY = ${ty};\nfn conv(v: ${tx}) -> ${ty} {\n  ${conversion(x.dtype, out.dtype)}\n}`,
      workgroupSize: WG,
    },
    [b.data(x), b.data(out)],
    { n },
    Math.ceil(n / WG),
  );
}

export function cast(b: WebGPUBackend, { x }: UnaryInputs, { dtype }: KernelAttrs<'Cast'>): TensorInfo {
  if (dtype === x.dtype) return copy(b, { x });
  elemOf(dtype);
  const out = b.output(x.shape, dtype);
  castInto(b, x, out);
  return out;
}
