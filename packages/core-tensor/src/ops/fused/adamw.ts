/** The AdamW update (fused kernel `AdamW`), in place on the parameter and moment variables. */

import { isFloatDType } from '../../dtype.js';
import { ENGINE } from '../../engine.js';
import { nativeSupport, recordDispatch } from '../../fused-dispatch.js';
import { formatShape, sameShape } from '../../shape-rules.js';
import type { Tensor, Variable } from '../../tensor.js';
import { add, div, mul, scale, sqrt } from '../elementwise.js';
import { cast } from '../layout.js';

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Step number, from 1. */
  step: number;
}

/**
 * The AdamW contract's checks of one tensor's state (also used per tensor by adamWMulti; `what` prefixes the
 * messages): param and grad of one float dtype, grad/m/v of param's shape, f32 moments (f64 for f64 params).
 */
export function checkAdamWTensors(what: string, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
  if (!isFloatDType(param.dtype) || grad.dtype !== param.dtype) {
    throw new Error(`${what}: param and grad must share a float dtype, got ${param.dtype} and ${grad.dtype}`);
  }
  for (const [name, t] of [
    ['grad', grad],
    ['m', m],
    ['v', v],
  ] as const) {
    if (!sameShape(t.shape, param.shape))
      throw new Error(`${what}: ${name} ${formatShape(t.shape)} ≠ param ${formatShape(param.shape)}`);
  }
  const momentDType = param.dtype === 'f64' ? 'f64' : 'f32';
  if (m.dtype !== momentDType || v.dtype !== momentDType) throw new Error(`${what}: moments must be ${momentDType}`);
}

/** One AdamW step: updates `param`, `m` and `v` (f32 moments) in place. */
export function adamW(param: Variable, grad: Tensor, m: Variable, v: Variable, hyper: AdamWHyper): void {
  checkAdamWTensors('adamW', param, grad, m, v);
  const momentDType = param.dtype === 'f64' ? 'f64' : 'f32';
  if (!Number.isInteger(hyper.step) || hyper.step < 1)
    throw new Error(`adamW: step must be an integer ≥ 1, got ${hyper.step}`);
  const attrs = { ...hyper };
  ENGINE.noGrad(() => {
    if (nativeSupport(param.backend, 'AdamW', { param, grad, m, v }, attrs) === true) {
      recordDispatch('AdamW', 'native');
      ENGINE.runKernel('AdamW', { param, grad, m, v }, attrs);
      return;
    }
    recordDispatch('AdamW', 'fallback');
    ENGINE.tidy(() => {
      // Composition: the same formula with primitives, then assignment into the variables.
      const g = cast(grad, momentDType);
      const p = cast(param, momentDType);
      const m1 = add(scale(m, hyper.beta1), scale(g, 1 - hyper.beta1));
      const v1 = add(scale(v, hyper.beta2), scale(mul(g, g), 1 - hyper.beta2));
      const mHat = scale(m1, 1 / (1 - hyper.beta1 ** hyper.step));
      const vHat = scale(v1, 1 / (1 - hyper.beta2 ** hyper.step));
      const decayed = scale(p, 1 - hyper.lr * hyper.weightDecay);
      const update = div(mHat, scale(sqrt(vHat), 1, hyper.eps));
      const p1 = add(decayed, scale(update, -hyper.lr));
      m.assign(m1);
      v.assign(v1);
      param.assign(p1.dtype === param.dtype ? p1 : cast(p1, param.dtype));
    });
  });
}
