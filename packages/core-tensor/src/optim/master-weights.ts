/**
 * f32 master weights for a model that computes in bf16 or f16. Rounding every AdamW update into a 16-bit parameter
 * loses the small ones (bf16 keeps 8 significant bits: an update below 2^-9 of the weight vanishes), so the
 * optimizer updates f32 copies and the model gets them rounded after each step:
 *
 *   const masters = new MasterWeights(model parameters);
 *   const opt = new AdamW([{ params: masters.masters }], …);  // groups built over the masters
 *   opt.step(masters.masterGrads(grads));                        // 16-bit gradients widened to f32
 *   masters.syncToModel();                                       // model ← round(master)
 *
 * f32 and f64 parameters are their own masters (nothing is copied, nothing to sync).
 */
import { dispose, tidy } from '../engine.js';
import { cast } from '../ops/layout.js';
import { variable } from '../ops/variable.js';
import type { Tensor, Variable } from '../tensor.js';

const needsMaster = (t: Tensor): boolean => t.dtype === 'bf16' || t.dtype === 'f16';

export class MasterWeights {
  /** The model's parameters. */
  readonly params: readonly Variable[];
  /** One per parameter: an f32 copy for 16-bit parameters, the parameter itself otherwise. */
  readonly masters: readonly Variable[];

  constructor(params: readonly Variable[]) {
    this.params = [...params];
    this.masters = this.params.map((p) => {
      if (!needsMaster(p)) return p;
      const wide = cast(p, 'f32');
      const master = variable(wide, { name: p.name });
      wide.dispose();
      return master;
    });
  }

  /** The master for a model parameter. */
  masterOf(param: Variable): Variable {
    const i = this.params.indexOf(param);
    if (i < 0) throw new Error(`MasterWeights: '${param.name}' is not one of the model parameters`);
    return this.masters[i]!;
  }

  /**
   * Gradients (aligned with `params`) in the masters' dtype: 16-bit ones widened to f32 (new tensors, the caller's),
   * the others passed through as they are.
   */
  masterGrads(grads: readonly Tensor[]): Tensor[] {
    if (grads.length !== this.params.length) {
      throw new Error(`MasterWeights.masterGrads: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    return grads.map((g, i) => (this.masters[i] !== this.params[i] && g.dtype !== 'f32' ? cast(g, 'f32') : g));
  }

  /** Rounds each master into its 16-bit model parameter (call after every optimizer step and after a restore). */
  syncToModel(): void {
    this.params.forEach((p, i) => {
      const master = this.masters[i]!;
      if (master === p) return;
      tidy(() => p.assign(cast(master, p.dtype)));
    });
  }

  /** Frees the f32 copies (the model parameters stay the caller's). */
  dispose(): void {
    dispose(this.masters.filter((m, i) => m !== this.params[i]));
  }
}
