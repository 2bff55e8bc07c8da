import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { broadcastShapes, broadcastSourceIndices } from '../broadcast.js';
import { allocCompute, type BufferStore, type ElementArray } from '../buffer-store.js';

/** y = condition ? a : b, all three broadcast; condition u8 (non-zero = true); a, b one dtype (any). */
export function where(store: BufferStore, { condition, a, b }: KernelInputs<'Where'>): TensorInfo {
  if (condition.dtype !== 'u8') throw new Error(`Where: condition must be u8, got ${condition.dtype}`);
  if (a.dtype !== b.dtype) throw new Error(`Where: a and b must share one dtype, got ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShapes(condition.shape, a.shape, b.shape);
  const cs = store.values(condition) as Uint8Array;
  const as: ElementArray = store.values(a);
  const bs: ElementArray = store.values(b);
  const ci = broadcastSourceIndices(condition.shape, shape);
  const ai = broadcastSourceIndices(a.shape, shape);
  const bi = broadcastSourceIndices(b.shape, shape);
  const y = allocCompute(a.dtype, ci.length);
  const ys: ElementArray = y;
  for (let i = 0; i < ci.length; i++) ys[i] = cs[ci[i]] !== 0 ? as[ai[i]] : bs[bi[i]];
  return store.adopt(y, shape, a.dtype);
}
