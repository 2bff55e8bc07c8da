/**
 * Gradient clipping by the global L2 norm, as PyTorch's `clip_grad_norm_`: the norm of all gradients taken as one
 * vector, ‖g‖ = √(Σ_i Σ g_i²) (accumulated in f32, f64 for f64 gradients), and when it exceeds `maxNorm` every
 * gradient is scaled by maxNorm / (‖g‖ + 1e-6).
 *
 * A non-finite norm (an inf or NaN anywhere, e.g. an f16 overflow) is reported, not spread: the gradients come back
 * unscaled with `finite: false`, and the caller skips the step (PyTorch would multiply every gradient by NaN). With
 * `errorIfNonFinite` it throws instead.
 */
import { ENGINE } from '../engine.js';
import { add, mul, scale } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

export interface ClipResult {
  /** The gradients after clipping (new tensors; the inputs stay the caller's). */
  grads: Tensor[];
  /** The global L2 norm BEFORE clipping. */
  norm: number;
  /** Whether the norm was finite (when false, `grads` are unscaled copies). */
  finite: boolean;
  /** The factor applied (1 when no clipping happened). */
  factor: number;
}

/** √(Σ g²) over every gradient, as a number. */
export async function globalGradNorm(grads: readonly Tensor[]): Promise<number> {
  if (grads.length === 0) return 0;
  const squared = ENGINE.tidy(() => {
    let total: Tensor | undefined;
    for (const g of grads) {
      const wide = g.dtype === 'f64' || g.dtype === 'f32' ? g : cast(g, 'f32');
      const part = sum(mul(wide, wide));
      const aligned = total && part.dtype !== total.dtype ? cast(part, total.dtype) : part;
      total = total ? add(total, aligned) : aligned;
    }
    return total!;
  });
  const [value] = await squared.data();
  squared.dispose();
  return Math.sqrt(Number(value));
}

export async function clipGradNorm(
  grads: readonly Tensor[],
  maxNorm: number,
  options: { errorIfNonFinite?: boolean } = {},
): Promise<ClipResult> {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new Error(`clipGradNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  }
  const norm = await globalGradNorm(grads);
  const finite = Number.isFinite(norm);
  if (!finite && options.errorIfNonFinite) {
    throw new Error(`clipGradNorm: the total gradient norm is ${norm} (an inf or NaN gradient)`);
  }
  // PyTorch's clip coefficient: maxNorm / (norm + 1e-6), applied only when it is below 1.
  const factor = finite ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return { grads: grads.map((g) => scale(g, factor)), norm, finite, factor };
}
