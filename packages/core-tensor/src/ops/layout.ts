/**
 * Data movement: cast, copy, slice, concat, transpose, gather and its adjoint scatterAdd.
 */
import { type DType, isFloatDType } from '../dtype.js';
import { ENGINE } from '../engine.js';
import { formatShape, normalizeAxis } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './create.js';

export function cast(x: Tensor, dtype: DType): Tensor {
  if (!x.backend.capabilities.dtypes.includes(dtype)) {
    throw new Error(`cast: backend '${x.backend.name}' does not support ${dtype}`);
  }
  return ENGINE.runKernel('Cast', { x }, { dtype });
}

export function copy(x: Tensor): Tensor {
  return ENGINE.runKernel('Copy', { x }, {});
}

/** x[begin : begin+size] per axis; a size of −1 means "to the end". */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length !== x.rank) throw new Error(`slice: begin has ${begin.length} entries for a rank-${x.rank} tensor`);
  const sizes = x.shape.map((d, i) => {
    const b = begin[i]!;
    const s = size?.[i] ?? -1;
    const resolved = s === -1 ? d - b : s;
    if (!Number.isInteger(b) || b < 0 || resolved < 0 || b + resolved > d) {
      throw new Error(`slice: [${b}, ${b + resolved}) is out of bounds on axis ${i} of ${formatShape(x.shape)}`);
    }
    return resolved;
  });
  return ENGINE.runKernel('Slice', { x }, { begin: [...begin], size: sizes });
}

/** Slice [start, start+length) along one axis. */
export function sliceAxis(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis(axis, x.rank);
  const begin = x.shape.map((_, i) => (i === a ? start : 0));
  const size = x.shape.map((d, i) => (i === a ? length : d));
  return slice(x, begin, size);
}

/**
 * Splits along `axis` into pieces of the given sizes (one Slice each). Differentiated as ONE operation: x's gradient
 * is the pieces' gradients concatenated (zeros for a piece that got none) — one Concat, where each piece's own Slice
 * gradient would zero-pad it to x's full shape (Fill + Concat per piece) and the padded copies would then be summed
 * (an Add per piece after the first): a training step splits each mixer's in_proj output and conv output this way.
 */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  const a = normalizeAxis(axis, x.rank);
  const total = sizes.reduce((p, s) => p + s, 0);
  if (total !== x.shape[a])
    throw new Error(`split: sizes sum to ${total}, axis ${a} of ${formatShape(x.shape)} has ${x.shape[a]}`);
  const pieces = ENGINE.noGrad(() => {
    const out: Tensor[] = [];
    let start = 0;
    for (const s of sizes) {
      out.push(sliceAxis(x, a, start, s));
      start += s;
    }
    return out;
  });
  ENGINE.record(
    'Split',
    { x },
    Object.fromEntries(pieces.map((piece, i) => [String(i), piece])),
    { axis: a, sizes: [...sizes] },
    (dys) => ({
      x: concat(
        pieces.map((piece, i) => {
          const dy = dys[String(i)];
          if (!dy) return zeros(piece.shape, x.dtype, x.backend);
          return dy.dtype === x.dtype ? dy : cast(dy, x.dtype);
        }),
        a,
      ),
    }),
  );
  return pieces;
}

export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.rank);
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new Error(`concat: dtypes differ (${first.dtype} and ${t.dtype})`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concat: ${formatShape(t.shape)} does not match ${formatShape(first.shape)} outside axis ${a}`);
    }
  }
  return ENGINE.runKernel('Concat', { xs: [...xs] }, { axis: a });
}

/** Permutes axes (default: reverse them). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis(a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new Error(`transpose: [${perm?.join(', ')}] is not a permutation of ${x.rank} axes`);
  }
  return ENGINE.runKernel('Transpose', { x }, { perm: p });
}

/** table [V, ...rest] rows picked by i32 indices [...idx] → [...idx, ...rest]. */
export function gather(table: Tensor, indices: Tensor): Tensor {
  if (indices.dtype !== 'i32') throw new Error(`gather: indices must be i32, got ${indices.dtype}`);
  if (table.rank < 1) throw new Error('gather: table must have rank ≥ 1');
  return ENGINE.runKernel('Gather', { table, indices }, {});
}

/** The adjoint of gather: rows of `updates` summed into a zero [numRows, ...rest] tensor at `indices`. */
export function scatterAdd(updates: Tensor, indices: Tensor, numRows: number): Tensor {
  if (indices.dtype !== 'i32') throw new Error(`scatterAdd: indices must be i32, got ${indices.dtype}`);
  if (!isFloatDType(updates.dtype)) throw new Error(`scatterAdd: updates must be float, got ${updates.dtype}`);
  if (formatShape(updates.shape.slice(0, indices.rank)) !== formatShape(indices.shape)) {
    throw new Error(
      `scatterAdd: updates ${formatShape(updates.shape)} do not start with indices ${formatShape(indices.shape)}`,
    );
  }
  return ENGINE.runKernel('ScatterAdd', { updates, indices }, { numRows });
}
