/**
 * A rank's piece of a parameter: which elements of the full tensor it holds (a selection of indices per axis,
 * their cartesian product in row-major order) and how its gradient relates to the full one:
 *
 *   'replicated'  the rank computes with the whole parameter exactly as every other holder does, so its
 *                 gradient is already the full gradient (norm weights in plain tensor parallelism);
 *   'partial'     the rank's gradient is its own contribution; the full gradient is the sum over the holders
 *                 (sharded projections, KV heads or SSM groups shared by several ranks, sequence-parallel norms).
 */
import { type Tensor, tensor, type Variable, variable } from '@falcon-h1/core-tensor';

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

/** The piece of a full parameter as a new variable (setup: reads the full values on the host). */
export function shardVariable(full: Variable, shard: ParameterShard): Variable {
  const values = full.dataSync() as ArrayLike<number>;
  const indices = shardIndices(shard);
  const picked = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) picked[k] = values[indices[k]!]!;
  const initial: Tensor = tensor(picked, shardShape(shard), full.dtype, full.backend);
  const piece = variable(initial, { name: shard.name });
  initial.dispose();
  return piece;
}

/** `count` consecutive indices from `start` for each of `blocks` (e.g. the rows of some heads). */
export function blockIndices(blocks: readonly number[], blockSize: number, offset = 0): number[] {
  return blocks.flatMap((b) => Array.from({ length: blockSize }, (_, i) => offset + b * blockSize + i));
}
