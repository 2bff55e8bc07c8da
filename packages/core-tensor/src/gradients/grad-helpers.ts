/**
 * Small building blocks shared by the gradient files: undoing a broadcast, broadcasting a reduced gradient back
 * and scalar constants. Everything is written with core ops, so it runs on any backend.
 */
import type { DType } from '../dtype.js';
import type { TapeNode } from '../engine.js';
import { fill, zeros } from '../ops/create.js';
import { add } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import { broadcastAxes, sameShape } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

/**
 * Undoes a NumPy broadcast: sums `grad` (of the broadcast shape) over the axes along which a tensor of `shape`
 * was stretched, then reshapes to `shape`. Returns `grad` itself when nothing was broadcast.
 */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const axes = broadcastAxes(shape, grad.shape);
  const reduced = axes.length > 0 ? sum(grad, axes, false) : grad;
  return sameShape(reduced.shape, shape) ? reduced : reshape(reduced, shape);
}

/** Broadcasts `t` to `shape` (adding zeros of that shape; exact, including ±∞). */
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  return add(t, zeros(shape, t.dtype, t.backend));
}

/** A rank-0 constant on `like`'s backend, of `like`'s dtype unless another is given. */
export function scalarLike(like: Tensor, value: number, dtype: DType = like.dtype): Tensor {
  return fill([], value, dtype, like.backend);
}

/** The reduced shape with the reduced axes kept as size 1. */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A saved tensor input of a tape node (throws if the node has no such single-tensor input). */
export function savedInput(node: TapeNode, key: string): Tensor {
  const t = node.inputs[key];
  if (t === undefined || Array.isArray(t))
    throw new Error(`internal gradient error: ${node.name} has no input '${key}'`);
  return t;
}

/** A saved output of a tape node ('out' for single-output kernels). */
export function savedOutput(node: TapeNode, key = 'out'): Tensor {
  const t = node.outputs[key];
  if (t === undefined) throw new Error(`internal gradient error: ${node.name} has no output '${key}'`);
  return t;
}

/** The gradient of a single-output kernel's output (backprop only calls a gradient when one exists). */
export function outputGrad(dys: Readonly<Record<string, Tensor | undefined>>, node: TapeNode): Tensor {
  const dy = dys.out;
  if (dy === undefined) throw new Error(`internal gradient error: ${node.name} called without an output gradient`);
  return dy;
}

/**
 * `make()` when backprop needs the gradient of input `key` (GradFunc's `needs`; all are needed without it), else
 * undefined — a constant operand's gradient is never computed.
 */
export function ifNeeded(
  needs: ((key: string) => boolean) | undefined,
  key: string,
  make: () => Tensor,
): Tensor | undefined {
  return needs === undefined || needs(key) ? make() : undefined;
}
