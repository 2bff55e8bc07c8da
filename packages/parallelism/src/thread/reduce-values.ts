/**
 * The element-wise reduction of the in-process collectives, in rank order so that every rank that reduces the
 * same contributions gets bitwise the same values. Accumulation happens in the dtype's value array (an f32 sum
 * rounds after every addition, as NCCL's does).
 */
import type { ValueArray } from '@falcon-h1/core-tensor';
import type { ReduceOp } from '../communicator.js';
import type { Payload } from './thread-transport.js';

export function reduceInRankOrder(parts: readonly Payload[], op: ReduceOp): Payload {
  const first = parts[0]!;
  const out = first.values.slice() as ValueArray;
  if (out instanceof BigInt64Array) throw new Error('reductions of i64 tensors are not supported');
  const acc = out as Float64Array; // every remaining value array indexes as numbers
  for (let r = 1; r < parts.length; r++) {
    const v = parts[r]!.values as Float64Array;
    if (v.length !== acc.length) {
      throw new Error(`reduction: rank ${r} sent ${v.length} values, rank 0 sent ${acc.length} (shapes differ)`);
    }
    for (let i = 0; i < acc.length; i++) {
      const a = acc[i]!;
      const b = v[i]!;
      acc[i] = op === 'max' ? Math.max(a, b) : op === 'min' ? Math.min(a, b) : a + b;
    }
  }
  if (op === 'avg') for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / parts.length;
  return { dtype: first.dtype, shape: first.shape, values: out };
}
