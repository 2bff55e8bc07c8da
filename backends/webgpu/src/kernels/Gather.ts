/** Gather: y[..idx, ..rest] = table[indices[..idx], ..rest]; an out-of-range index reads zeros (no GPU-side error). */
import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function gather(b: WebGPUBackend, { table, indices }: KernelInputs<'Gather'>): TensorInfo {
  const rest = table.shape.slice(1);
  const out = b.output([...indices.shape, ...rest], table.dtype);
  const n = sizeOf(out.shape);
  if (n === 0) return out;
  const elem = elemOf(table.dtype);
  b.dispatch(
    {
      shader: 'gather',
      bindings: [
        { name: 'table', elem },
        { name: 'idx', elem: 'i32' },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['rest', 'u32'],
        ['rows', 'u32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(table), b.data(indices), b.data(out)],
    { n, rest: sizeOf(rest), rows: table.shape[0]! },
    Math.ceil(n / WG),
  );
  return out;
}
