/**
 * ScatterAdd: out [numRows, ..rest] = 0, then out[indices[i]] += updates[i]. Accumulates in f32 with
 * compare-exchange atomics (duplicates add up in an unspecified order, so the rounding is not deterministic);
 * f16 results are rounded once at the end.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { castInto } from './Cast.js';
import { WG } from './elementwise-factories.js';
import { fillData } from './Fill.js';

export function scatterAdd(
  b: WebGPUBackend,
  { updates, indices }: KernelInputs<'ScatterAdd'>,
  { numRows }: KernelAttrs<'ScatterAdd'>,
): TensorInfo {
  const rest = updates.shape.slice(indices.shape.length);
  const shape = [numRows, ...rest];
  const f32 = updates.dtype === 'f32';
  const acc: TensorInfo = f32 ? b.output(shape, 'f32') : { dataId: b.alloc(shape, 'f32', true), shape, dtype: 'f32' };
  fillData(b, acc, 0);
  const n = sizeOf(updates.shape);
  if (n > 0) {
    b.dispatch(
      {
        shader: 'scatter_add',
        bindings: [
          { name: 'upd', elem: elemOf(updates.dtype) },
          { name: 'idx', elem: 'i32' },
          { name: 'acc', elem: 'u32', write: true, atomic: true },
        ],
        uniforms: [
          ['n', 'u32'],
          ['rest', 'u32'],
          ['rows', 'u32'],
        ],
        workgroupSize: WG,
      },
      [b.data(updates), b.data(indices), b.data(acc)],
      { n, rest: sizeOf(rest), rows: numRows },
      Math.ceil(n / WG),
    );
  }
  if (f32) return acc;
  const out = b.output(shape, updates.dtype);
  castInto(b, acc, out);
  b.free(b.data(acc));
  return out;
}
