/** The strided copy shared by Slice, Transpose and Concat: y[ybase + Σ c·sy] = x[xbase + Σ c·sx] over `shape`. */

import { collapse, pad8, sizeOf } from '../shape.js';
import type { GpuData } from '../webgpu-backend.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function stridedCopy(
  b: WebGPUBackend,
  x: GpuData,
  y: GpuData,
  shape: readonly number[],
  sx: readonly number[],
  sy: readonly number[],
  xbase: number,
  ybase: number,
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const c = collapse(shape, [sx, sy]);
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'strided_copy',
      bindings: [
        { name: 'x', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['shape', 'u8'],
        ['sx', 'u8'],
        ['sy', 'u8'],
        ['n', 'u32'],
        ['rank', 'u32'],
        ['xbase', 'u32'],
        ['ybase', 'u32'],
      ],
      workgroupSize: WG,
    },
    [x, y],
    {
      shape: pad8(c.shape, 1),
      sx: pad8(c.strides[0]!, 0),
      sy: pad8(c.strides[1]!, 0),
      n,
      rank: c.shape.length,
      xbase,
      ybase,
    },
    Math.ceil(n / WG),
  );
}
