/**
 * AdamW on a list of tensors in one call (fused kernel `AdamWMulti`): one launch on a GPU instead of one per
 * parameter. Where the backend lacks the kernel (or declines the inputs), each tensor takes the per-tensor
 * `adamW` path (itself native or composed), which gives the same results.
 */
import { ENGINE } from '../../engine.js';
import { nativeSupport, recordDispatch } from '../../fused-dispatch.js';
import type { Tensor, Variable } from '../../tensor.js';
import { type AdamWHyper, adamW, checkAdamWTensors } from './adamw.js';

/** One tensor of a multi-tensor AdamW step, with its own learning rate and weight decay. */
export interface AdamWMultiEntry {
  param: Variable;
  grad: Tensor;
  m: Variable;
  v: Variable;
  lr: number;
  weightDecay: number;
}

/** The hyperparameters every entry shares. */
export type AdamWMultiHyper = Omit<AdamWHyper, 'lr' | 'weightDecay'>;

function check(entries: readonly AdamWMultiEntry[], hyper: AdamWMultiHyper): void {
  if (entries.length === 0) throw new Error('adamWMulti: no tensors to update');
  const dtype = entries[0]!.param.dtype;
  entries.forEach(({ param, grad, m, v, lr, weightDecay }, i) => {
    const name = `adamWMulti: tensor ${i} ('${param.name}')`;
    checkAdamWTensors(name, param, grad, m, v);
    if (param.dtype !== dtype) throw new Error(`${name} is ${param.dtype}; every param must be ${dtype}`);
    if (!Number.isFinite(lr) || !Number.isFinite(weightDecay))
      throw new Error(`${name}: lr and weightDecay must be finite, got ${lr} and ${weightDecay}`);
  });
  if (!Number.isInteger(hyper.step) || hyper.step < 1)
    throw new Error(`adamWMulti: step must be an integer ≥ 1, got ${hyper.step}`);
}

/** One AdamW step of every entry (in place on param, m and v), in one kernel call where the backend has it. */
export function adamWMulti(entries: readonly AdamWMultiEntry[], hyper: AdamWMultiHyper): void {
  check(entries, hyper);
  const inputs = {
    params: entries.map((e) => e.param as Tensor),
    grads: entries.map((e) => e.grad),
    m: entries.map((e) => e.m as Tensor),
    v: entries.map((e) => e.v as Tensor),
  };
  const attrs = {
    lr: entries.map((e) => e.lr),
    weightDecay: entries.map((e) => e.weightDecay),
    beta1: hyper.beta1,
    beta2: hyper.beta2,
    eps: hyper.eps,
    step: hyper.step,
  };
  const backend = entries[0]!.param.backend;
  ENGINE.noGrad(() => {
    if (nativeSupport(backend, 'AdamWMulti', inputs, attrs) === true) {
      recordDispatch('AdamWMulti', 'native');
      ENGINE.runKernel('AdamWMulti', inputs, attrs);
      return;
    }
    recordDispatch('AdamWMulti', 'fallback');
    for (const { param, grad, m, v, lr, weightDecay } of entries)
      adamW(param, grad, m, v, { ...hyper, lr, weightDecay });
  });
}
