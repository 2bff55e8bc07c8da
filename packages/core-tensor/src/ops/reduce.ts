/**
 * Reductions (sum, mean, max over axes), argMax and cumulative sums.
 */
import { isFloatDType } from '../dtype.js';
import { ENGINE } from '../engine.js';
import type { ReduceKernelName } from '../kernel-contract.js';
import { formatShape, normalizeAxis } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

/** Normalises `axes` (undefined = all, negatives allowed) into sorted distinct axes. */
export function resolveAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normalizeAxis(a, rank)))].sort((a, b) => a - b);
  return out;
}

function reduce(
  name: ReduceKernelName,
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepDims: boolean,
): Tensor {
  if (!isFloatDType(x.dtype) && !(name !== 'Mean' && x.dtype === 'i32')) {
    throw new Error(`${name} needs a float tensor, got ${x.dtype}`);
  }
  const resolved = resolveAxes(axes, x.rank);
  if (name === 'Max' && resolved.some((a) => x.shape[a] === 0)) {
    throw new Error(`Max over an empty axis of ${formatShape(x.shape)}`);
  }
  return ENGINE.runKernel(name, { x }, { axes: resolved, keepDims });
}

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
  reduce('Sum', x, axes, keepDims);
export const mean = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
  reduce('Mean', x, axes, keepDims);
export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
  reduce('Max', x, axes, keepDims);

/** Index of the first maximum along `axis` (i32; the axis is removed). */
export function argMax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis(axis, x.rank);
  if (x.shape[a] === 0) throw new Error(`argMax over an empty axis of ${formatShape(x.shape)}`);
  return ENGINE.runKernel('ArgMax', { x }, { axis: a });
}

/** Prefix sums along `axis` (inclusive by default; `reverse` sums from the end). */
export function cumsum(x: Tensor, axis = -1, options: { exclusive?: boolean; reverse?: boolean } = {}): Tensor {
  if (!isFloatDType(x.dtype) && x.dtype !== 'i32')
    throw new Error(`cumsum needs a float or i32 tensor, got ${x.dtype}`);
  return ENGINE.runKernel(
    'CumSum',
    { x },
    { axis: normalizeAxis(axis, x.rank), exclusive: options.exclusive ?? false, reverse: options.reverse ?? false },
  );
}
