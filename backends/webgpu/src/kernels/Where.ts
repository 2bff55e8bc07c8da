/** Where: y = condition ? a : b, all three broadcast; condition u8, a and b one dtype (any). */
import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { broadcastShape, broadcastStrides, collapse, pad8, sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function where(b: WebGPUBackend, { condition, a, b: bb }: KernelInputs<'Where'>): TensorInfo {
  const shape = broadcastShape(condition.shape, a.shape, bb.shape);
  const out = b.output(shape, a.dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const c = collapse(
    shape,
    [condition, a, bb].map((t) => broadcastStrides(t.shape, shape)),
  );
  const elem = elemOf(a.dtype);
  b.dispatch(
    {
      shader: 'where',
      bindings: [
        { name: 'cond', elem: 'u32' },
        { name: 'a', elem },
        { name: 'b', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['shape', 'u8'],
        ['sc', 'u8'],
        ['sa', 'u8'],
        ['sb', 'u8'],
        ['n', 'u32'],
        ['rank', 'u32'],
      ],
      workgroupSize: WG,
    },
    [b.data(condition), b.data(a), b.data(bb), b.data(out)],
    {
      shape: pad8(c.shape, 1),
      sc: pad8(c.strides[0]!, 0),
      sa: pad8(c.strides[1]!, 0),
      sb: pad8(c.strides[2]!, 0),
      n,
      rank: c.shape.length,
    },
    Math.ceil(n / WG),
  );
  return out;
}
