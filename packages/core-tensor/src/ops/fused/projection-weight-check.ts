/**
 * The rule for the weight of a bias-free projection fused onto the op before it (`addRmsNormMatMul`,
 * `swiGluPackedMatMul`): a Linear weight [N, K] whose K is the width of what the first op produces.
 */
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/**
 * `weight` must be `input`'s dtype, [N, inner], on `input`'s backend; `innerName` says what inner is (e.g. 'D, the
 * last axis of x'). Returns N.
 */
export function checkProjectionWeight(
  where: string,
  weight: Tensor,
  input: Tensor,
  inner: number,
  innerName: string,
): number {
  if (weight.dtype !== input.dtype || weight.rank !== 2 || weight.shape[1] !== inner) {
    throw new Error(
      `${where}: weight must be a Linear weight ${input.dtype}[N, ${inner}] (${innerName} = ${inner}), got ${weight.dtype}${formatShape(weight.shape)}`,
    );
  }
  if (weight.backend !== input.backend) throw new Error(`${where}: weight must live on the inputs' backend`);
  return weight.shape[0]!;
}
