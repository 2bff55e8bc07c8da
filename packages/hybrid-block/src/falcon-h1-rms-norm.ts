/**
 * FalconH1RMSNorm: y = weight ⊙ cast_to_input_dtype(x · rsqrt(mean(x²) + eps)), normalised in f32 (the core
 * `rmsNorm` kernel's exact semantics, transformers' FalconH1RMSNorm).
 */
import { addRmsNorm, addRmsNormMatMul, rmsNorm, type Tensor, type Variable } from '@falcon-h1/core-tensor';

/**
 * A residual add not yet done: the stream's value is residual + update. One-token decode steps hand it to the norm
 * that reads the sum next, which does both in one kernel (`forwardResidual`), or all three with the projection that
 * reads the norm (`forwardResidualProjected`).
 */
export interface PendingResidual {
  readonly residual: Tensor;
  readonly update: Tensor;
}

export class FalconH1RMSNorm {
  constructor(
    readonly weight: Variable,
    readonly variance_epsilon: number,
  ) {}

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.variance_epsilon);
  }

  /**
   * The residual stream's value and its norm: for a pending add, residual + update (rounded as `add` stores it) and
   * the norm of that stored sum in one fused kernel (AddRmsNorm: the same values as add then `forward`).
   */
  forwardResidual(stream: Tensor | PendingResidual): { sum: Tensor; normed: Tensor } {
    if (!('update' in stream)) return { sum: stream, normed: this.forward(stream) };
    return addRmsNorm(stream.residual, stream.update, this.weight, this.variance_epsilon);
  }

  /**
   * For a pending add whose norm feeds ONE bias-free projection and nothing else: the residual stream's value and
   * that projection of its norm, y = normed · weightᵀ, in one fused kernel (AddRmsNormMatMul: the same values as
   * `forwardResidual` then `linear(normed, weight)`; normed itself is never stored).
   */
  forwardResidualProjected(stream: PendingResidual, weight: Tensor): { sum: Tensor; y: Tensor } {
    return addRmsNormMatMul(stream.residual, stream.update, this.weight, weight, this.variance_epsilon);
  }
}
