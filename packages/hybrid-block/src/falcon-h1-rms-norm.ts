/**
 * FalconH1RMSNorm: y = weight ⊙ cast_to_input_dtype(x · rsqrt(mean(x²) + eps)), normalised in f32 (the core
 * `rmsNorm` kernel's exact semantics, transformers' FalconH1RMSNorm).
 */
import { rmsNorm, type Tensor, type Variable } from '@falcon-h1/core-tensor';

export class FalconH1RMSNorm {
  constructor(
    readonly weight: Variable,
    readonly variance_epsilon: number,
  ) {}

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.variance_epsilon);
  }
}
