/**
 * A rank's piece of a parameter: which elements of the full tensor it holds (a selection of indices per axis,
 * their cartesian product in row-major order) and how its gradient relates to the full one:
 *
 *   'replicated'  the rank computes with the whole parameter exactly as every other holder does, so its
 *                 gradient is already the full gradient (norm weights in plain tensor parallelism);
 *   'partial'     the rank's gradient is its own contribution; the full gradient is the sum over the holders
 *                 (sharded projections, KV heads or SSM groups shared by several ranks, sequence-parallel norms).
 */
import {
  copy,
  gather,
  noGrad,
  type Tensor,
  tensor,
  tidy,
  transpose,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';

export type GradientKind = 'replicated' | 'partial';

export interface ParameterShard {
  /** Hugging Face name of the full parameter. */
  readonly name: string;
  readonly fullShape: readonly number[];
  /** Per axis, the indices held (undefined: the whole axis). */
  readonly selection: readonly (readonly number[] | undefined)[];
  readonly gradient: GradientKind;
}

/** The shape of the piece. */
export function shardShape(shard: ParameterShard): number[] {
  return shard.fullShape.map((n, axis) => shard.selection[axis]?.length ?? n);
}

/** Flat indices into the full parameter of the piece's elements, in the piece's row-major order. */
export function shardIndices(shard: ParameterShard): Int32Array {
  const shape = shard.fullShape;
  const axes = shape.map((n, axis) => shard.selection[axis] ?? Array.from({ length: n }, (_, i) => i));
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  let flat = [0];
  axes.forEach((indices, axis) => {
    const next: number[] = [];
    for (const base of flat) for (const i of indices) next.push(base + i * strides[axis]!);
    flat = next;
  });
  return Int32Array.from(flat);
}

/**
 * The piece of a full parameter as a new variable, cut on the parameter's device: one `gather` per selected axis
 * (moved to the front and back), which picks the cartesian product of the selections in row-major order. (Reading
 * the whole parameter back to pick on the host cost minutes for a 0.5B model's shards.)
 */
export function shardVariable(full: Variable, shard: ParameterShard): Variable {
  const initial = noGrad(() =>
    tidy(() => {
      let x: Tensor = full;
      shard.selection.forEach((indices, axis) => {
        if (indices) x = gatherAlongAxis(x, Int32Array.from(indices), axis);
      });
      return x === full ? copy(full) : x;
    }),
  );
  const piece = variable(initial, { name: shard.name });
  initial.dispose();
  return piece;
}

/** x's slices `indices` along `axis` (the Gather primitive works on axis 0). */
function gatherAlongAxis(x: Tensor, indices: Int32Array, axis: number): Tensor {
  const index = tensor(indices, [indices.length], 'i32', x.backend);
  if (axis === 0) return gather(x, index);
  const perm = x.shape.map((_, i) => i);
  perm.splice(axis, 1);
  perm.unshift(axis);
  const picked = gather(transpose(x, perm), index);
  return transpose(
    picked,
    perm.map((_, i) => perm.indexOf(i)),
  );
}

/** `count` consecutive indices from `start` for each of `blocks` (e.g. the rows of some heads). */
export function blockIndices(blocks: readonly number[], blockSize: number, offset = 0): number[] {
  return blocks.flatMap((b) => Array.from({ length: blockSize }, (_, i) => offset + b * blockSize + i));
}
