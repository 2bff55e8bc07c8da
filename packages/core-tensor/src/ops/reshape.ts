/**
 * Views: reshape, expandDims, squeeze. No kernel runs; the new tensor shares the buffer.
 */
import { ENGINE } from '../engine.js';
import { formatShape, normalizeAxis, sizeOf } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

/** Same values, another shape (one dim may be −1 and is inferred). Differentiable. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(shape, x.size, x.shape);
  const y = ENGINE.makeView(x, resolved);
  ENGINE.record('Reshape', { x }, { out: y }, undefined, (dys) => ({
    x: dys.out ? reshape(dys.out, x.shape) : undefined,
  }));
  return y;
}

export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Removes size-1 axes (all of them, or the given ones). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = new Set(
    (axes ?? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normalizeAxis(a, x.rank)),
  );
  for (const a of drop) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !drop.has(i)),
  );
}

function resolveShape(shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = [...shape];
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    if (out.indexOf(-1, inferred + 1) >= 0) throw new Error(`reshape: at most one −1 in ${formatShape(shape)}`);
    const rest = sizeOf(out.filter((_, i) => i !== inferred));
    if (rest === 0 || size % rest !== 0) {
      throw new Error(`reshape: cannot reshape ${formatShape(from)} into ${formatShape(shape)}`);
    }
    out[inferred] = size / rest;
  }
  for (const d of out) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`reshape: invalid shape ${formatShape(shape)}`);
  }
  if (sizeOf(out) !== size)
    throw new Error(`reshape: cannot reshape ${formatShape(from)} (${size} values) into ${formatShape(out)}`);
  return out;
}
