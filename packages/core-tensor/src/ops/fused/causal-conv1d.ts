/** Mamba2's causal depthwise conv1d and its one-step update (fused kernels `CausalConv1d`, `CausalConv1dUpdate`). */
import { composeCausalConv1d, composeCausalConv1dUpdate } from '../../compositions/causal-conv1d.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import type { ConvActivation } from '../../kernel-contract.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

export interface CausalConv1dOptions {
  bias?: Tensor;
  /** [B, C, K−1]: the inputs before t = 0 (a conv cache without its newest column). */
  initialState?: Tensor;
  /** i32 [B, T] document ids: the conv never reads across a document boundary. */
  seqIdx?: Tensor;
  activation?: ConvActivation;
}

function checkWeights(name: string, x: Tensor, channels: number, weight: Tensor, bias?: Tensor): number {
  if (!isFloatDType(x.dtype)) throw new Error(`${name} needs a float tensor, got ${x.dtype}`);
  if (weight.rank !== 2 || weight.shape[0] !== channels || weight.dtype !== x.dtype) {
    throw new Error(
      `${name}: weight must be ${x.dtype}[${channels}, K], got ${weight.dtype}${formatShape(weight.shape)}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== channels || bias.dtype !== x.dtype)) {
    throw new Error(`${name}: bias must be ${x.dtype}[${channels}], got ${bias.dtype}${formatShape(bias.shape)}`);
  }
  return weight.shape[1]!;
}

/** x [B, T, C] → [B, T, C]. */
export function causalConv1d(x: Tensor, weight: Tensor, options: CausalConv1dOptions = {}): Tensor {
  if (x.rank !== 3) throw new Error(`causalConv1d: x must be [B, T, C], got ${formatShape(x.shape)}`);
  const [b, t, c] = x.shape as [number, number, number];
  const k = checkWeights('causalConv1d', x, c, weight, options.bias);
  const { initialState, seqIdx } = options;
  if (
    initialState &&
    (initialState.dtype !== x.dtype || formatShape(initialState.shape) !== formatShape([b, c, k - 1]))
  ) {
    throw new Error(
      `causalConv1d: initialState must be ${x.dtype}[${b}, ${c}, ${k - 1}], got ${initialState.dtype}${formatShape(initialState.shape)}`,
    );
  }
  if (seqIdx && (seqIdx.dtype !== 'i32' || formatShape(seqIdx.shape) !== formatShape([b, t]))) {
    throw new Error(`causalConv1d: seqIdx must be i32[${b}, ${t}], got ${seqIdx.dtype}${formatShape(seqIdx.shape)}`);
  }
  return runFused(
    'CausalConv1d',
    { x, weight, bias: options.bias, initialState, seqIdx },
    { activation: options.activation ?? 'none' },
    composeCausalConv1d,
  );
}

/** One decode step: convState [B, C, K], x [B, C] → { y [B, C], convState [B, C, K] }. */
export function causalConv1dUpdate(
  convState: Tensor,
  x: Tensor,
  weight: Tensor,
  options: { bias?: Tensor; activation?: ConvActivation } = {},
): { y: Tensor; convState: Tensor } {
  if (x.rank !== 2) throw new Error(`causalConv1dUpdate: x must be [B, C], got ${formatShape(x.shape)}`);
  const [b, c] = x.shape as [number, number];
  const k = checkWeights('causalConv1dUpdate', x, c, weight, options.bias);
  if (convState.dtype !== x.dtype || formatShape(convState.shape) !== formatShape([b, c, k])) {
    throw new Error(
      `causalConv1dUpdate: convState must be ${x.dtype}[${b}, ${c}, ${k}], got ${convState.dtype}${formatShape(convState.shape)}`,
    );
  }
  return runFused(
    'CausalConv1dUpdate',
    { convState, x, weight, bias: options.bias },
    { activation: options.activation ?? 'none' },
    composeCausalConv1dUpdate,
  ) as { y: Tensor; convState: Tensor };
}
