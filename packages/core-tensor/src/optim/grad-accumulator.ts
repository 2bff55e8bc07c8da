/**
 * Gradient accumulation over micro-batches: the gradient of a big batch computed in pieces.
 *
 * Each micro-batch's loss is a MEAN over its own tokens, so the big-batch gradient is the weighted mean
 *   g = Σ_i w_i · g_i / Σ_i w_i
 * with w_i = 1 for equal micro-batches (the plain average) or w_i = the number of counted tokens of micro-batch i
 * (token-weighted: exactly the gradient of the mean loss over all tokens when micro-batches count different numbers
 * of tokens, e.g. with padding or document boundaries). Sums are kept in f32 (f64 for f64 gradients) and survive the
 * caller's `tidy` scopes; `result()` casts back to the gradients' dtype.
 */
import { dispose, keep, tidy } from '../engine.js';
import { add, scale } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { formatShape, sameShape } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

export class GradAccumulator {
  private sums: Tensor[] | undefined;
  private dtypes: Tensor['dtype'][] = [];
  private totalWeight = 0;
  private count = 0;

  /** Micro-batches added since the last `reset`. */
  get microBatches(): number {
    return this.count;
  }

  /** Σ w_i so far. */
  get weight(): number {
    return this.totalWeight;
  }

  /** Adds one micro-batch's gradients with weight w (default 1). The gradients stay the caller's. */
  add(grads: readonly Tensor[], weight = 1): void {
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new Error(`GradAccumulator.add: the weight must be a finite number > 0, got ${weight}`);
    }
    if (this.sums && grads.length !== this.sums.length) {
      throw new Error(`GradAccumulator.add: ${grads.length} gradients, earlier micro-batches had ${this.sums.length}`);
    }
    const wide = (g: Tensor): Tensor => (g.dtype === 'f64' || g.dtype === 'f32' ? g : cast(g, 'f32'));
    if (!this.sums) {
      this.dtypes = grads.map((g) => g.dtype);
      this.sums = grads.map((g) => keep(tidy(() => scale(wide(g), weight))));
    } else {
      const sums = this.sums;
      this.sums = grads.map((g, i) => {
        const previous = sums[i]!;
        if (!sameShape(g.shape, previous.shape) || g.dtype !== this.dtypes[i]) {
          throw new Error(
            `GradAccumulator.add: gradient ${i} is ${g.dtype}${formatShape(g.shape)}, earlier ${this.dtypes[i]}${formatShape(previous.shape)}`,
          );
        }
        const next = keep(tidy(() => add(previous, scale(wide(g), weight))));
        previous.dispose();
        return next;
      });
    }
    this.totalWeight += weight;
    this.count++;
  }

  /**
   * Σ w_i·g_i / Σ w_i (new tensors, the caller's), in each gradient's dtype — or, with `wide`, in the f32 (f64)
   * accumulation dtype, which is what f32 master weights take (no rounding through bf16 on the way).
   */
  result(options: { wide?: boolean } = {}): Tensor[] {
    if (!this.sums) throw new Error('GradAccumulator.result: no micro-batch was added');
    const sums = this.sums;
    return sums.map((s, i) =>
      tidy(() => {
        const mean = scale(s, 1 / this.totalWeight);
        return options.wide || mean.dtype === this.dtypes[i] ? mean : cast(mean, this.dtypes[i]!);
      }),
    );
  }

  /** Forgets the sums (after the optimizer step). */
  reset(): void {
    if (this.sums) dispose(this.sums);
    this.sums = undefined;
    this.dtypes = [];
    this.totalWeight = 0;
    this.count = 0;
  }
}
