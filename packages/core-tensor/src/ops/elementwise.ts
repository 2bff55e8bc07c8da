/**
 * Elementwise ops: unary functions, broadcast binary arithmetic and comparisons, where, scale, clamp.
 */
import { isFloatDType } from '../dtype.js';
import { ENGINE } from '../engine.js';
import type { BinaryKernelName, CompareKernelName, UnaryKernelName } from '../kernel-contract.js';
import { broadcastShapes } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

function unary(name: UnaryKernelName, x: Tensor): Tensor {
  const intOk = name === 'Neg' || name === 'Abs';
  if (!isFloatDType(x.dtype) && !(intOk && x.dtype === 'i32')) {
    throw new Error(`${name} needs a float tensor${intOk ? ' or i32' : ''}, got ${x.dtype}`);
  }
  return ENGINE.runKernel(name, { x }, {});
}

export const neg = (x: Tensor): Tensor => unary('Neg', x);
export const abs = (x: Tensor): Tensor => unary('Abs', x);
export const exp = (x: Tensor): Tensor => unary('Exp', x);
export const log = (x: Tensor): Tensor => unary('Log', x);
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('Rsqrt', x);
export const reciprocal = (x: Tensor): Tensor => unary('Reciprocal', x);
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
export const silu = (x: Tensor): Tensor => unary('Silu', x);
export const softplus = (x: Tensor): Tensor => unary('Softplus', x);
export const tanh = (x: Tensor): Tensor => unary('Tanh', x);

function checkPair(name: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new Error(`${name}: dtypes differ (${a.dtype} and ${b.dtype}); cast one first`);
  broadcastShapes(a.shape, b.shape);
}

function binary(name: BinaryKernelName, a: Tensor, b: Tensor): Tensor {
  checkPair(name, a, b);
  if (!isFloatDType(a.dtype) && a.dtype !== 'i32')
    throw new Error(`${name} needs float or i32 tensors, got ${a.dtype}`);
  return ENGINE.runKernel(name, { a, b }, {});
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('Add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('Sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('Mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary('Div', a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binary('Maximum', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binary('Minimum', a, b);

function compare(name: CompareKernelName, a: Tensor, b: Tensor): Tensor {
  checkPair(name, a, b);
  return ENGINE.runKernel(name, { a, b }, {});
}

export const equal = (a: Tensor, b: Tensor): Tensor => compare('Equal', a, b);
export const notEqual = (a: Tensor, b: Tensor): Tensor => compare('NotEqual', a, b);
export const less = (a: Tensor, b: Tensor): Tensor => compare('Less', a, b);
export const lessEqual = (a: Tensor, b: Tensor): Tensor => compare('LessEqual', a, b);
export const greater = (a: Tensor, b: Tensor): Tensor => compare('Greater', a, b);
export const greaterEqual = (a: Tensor, b: Tensor): Tensor => compare('GreaterEqual', a, b);

/** condition (u8) ? a : b, broadcast. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  if (condition.dtype !== 'u8')
    throw new Error(`where: condition must be u8 (from a comparison), got ${condition.dtype}`);
  checkPair('where', a, b);
  broadcastShapes(condition.shape, broadcastShapes(a.shape, b.shape));
  return ENGINE.runKernel('Where', { condition, a, b }, {});
}

/** x·scale + shift. */
export function scale(x: Tensor, factor: number, shift = 0): Tensor {
  if (!isFloatDType(x.dtype)) throw new Error(`scale needs a float tensor, got ${x.dtype}`);
  return ENGINE.runKernel('Scale', { x }, { scale: factor, shift });
}

/** min(max(x, lo), hi). */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  if (!isFloatDType(x.dtype)) throw new Error(`clamp needs a float tensor, got ${x.dtype}`);
  if (!(min <= max)) throw new Error(`clamp: min ${min} > max ${max}`);
  return ENGINE.runKernel('Clamp', { x }, { min, max });
}

export const square = (x: Tensor): Tensor => mul(x, x);
