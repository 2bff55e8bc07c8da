/** Creating variables (model parameters and optimizer state). */

import type { DType } from '../dtype.js';
import { ENGINE } from '../engine.js';
import type { Tensor, Variable } from '../tensor.js';

let unnamed = 0;

/** A variable initialised with a copy of `initial`; not owned by any scope (dispose it yourself). */
export function variable<D extends DType>(
  initial: Tensor<D>,
  options: { name?: string; trainable?: boolean } = {},
): Variable<D> {
  return ENGINE.makeVariable(initial, options.name ?? `variable_${unnamed++}`, options.trainable ?? true);
}
