/** GPT-NeoX rotary position embedding (fused kernel `Rope`). */
import { composeRope } from '../../compositions/rope.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/** Rotates x [B, T, H, Dh] by positions i32 [B, T] with base theta ("rotate half" over all of Dh). */
export function rope(x: Tensor, positions: Tensor, theta: number, inverse = false): Tensor {
  if (!isFloatDType(x.dtype)) throw new Error(`rope needs a float tensor, got ${x.dtype}`);
  if (x.rank !== 4 || x.shape[3]! % 2 !== 0)
    throw new Error(`rope: x must be [B, T, H, Dh] with even Dh, got ${formatShape(x.shape)}`);
  if (
    positions.dtype !== 'i32' ||
    positions.rank !== 2 ||
    positions.shape[0] !== x.shape[0] ||
    positions.shape[1] !== x.shape[1]
  ) {
    throw new Error(
      `rope: positions must be i32 [B, T] = [${x.shape[0]}, ${x.shape[1]}], got ${positions.dtype}${formatShape(positions.shape)}`,
    );
  }
  if (!(theta > 0)) throw new Error(`rope: theta must be > 0, got ${theta}`);
  return runFused('Rope', { x, positions }, { theta, inverse }, composeRope);
}
