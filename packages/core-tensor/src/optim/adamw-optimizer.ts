/**
 * AdamW over parameter groups: decoupled weight decay as PyTorch's `torch.optim.AdamW`, one fused `AdamWMulti`
 * kernel call for every parameter at once (per-tensor `AdamW` calls where the backend lacks it, with identical
 * results), updating the parameters and their two moments in place. Each group carries a learning-rate and a
 * weight-decay MULTIPLIER on the optimizer's base values — the form μP and the Falcon-H1 seminar use
 * (falcon-h1-reference.md §5: "learning-rate multipliers per parameter group … weight-decay multipliers for the same
 * groups") — so a schedule changes one number (`lr`) and every group follows:
 *
 *   lr_g = lr · lrMultiplier_g          wd_g = weightDecay · wdMultiplier_g
 *   p ← p·(1 − lr_g·wd_g);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr_g · m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t),  v̂ = v/(1−β2^t)
 *
 * Moments are f32 (f64 for f64 parameters), created at the first step. `state()`/`loadState()` expose them with the
 * step count, for checkpoints that resume exactly.
 */
import { dispose } from '../engine.js';
import { zeros } from '../ops/create.js';
import { type AdamWMultiEntry, type AdamWMultiHyper, adamWMulti } from '../ops/fused/adamw-multi.js';
import { variable } from '../ops/variable.js';
import { formatShape, sameShape } from '../shape-rules.js';
import type { Tensor, Variable } from '../tensor.js';

export interface AdamWGroupOptions {
  /** A name for messages and checkpoints (e.g. the μP group). */
  name?: string;
  params: readonly Variable[];
  /** Multiplies the optimizer's `lr` for this group (default 1). */
  lrMultiplier?: number;
  /** Multiplies the optimizer's `weightDecay` for this group (default 1; 0 turns decay off). */
  wdMultiplier?: number;
  /** Overrides the optimizer's betas / eps for this group. */
  betas?: readonly [number, number];
  eps?: number;
}

export interface AdamWOptions {
  /** The base learning rate (what a schedule sets through `optimizer.lr`). */
  lr: number;
  /** The base (decoupled) weight decay; default 0. */
  weightDecay?: number;
  /** Default [0.9, 0.999] (PyTorch's). */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
}

export interface AdamWGroup {
  readonly name: string;
  readonly params: readonly Variable[];
  lrMultiplier: number;
  wdMultiplier: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** One parameter's optimizer state, by position in `AdamW.parameters`. */
export interface AdamWParameterState {
  /** The parameter's variable name (checked on load). */
  name: string;
  m: Tensor;
  v: Tensor;
}

export interface AdamWState {
  /** Steps taken so far (the next step is `step + 1`). */
  step: number;
  /** One entry per parameter, in `parameters` order; empty before the first step. */
  moments: AdamWParameterState[];
}

function checkFinite(what: string, value: number, { below1 = false } = {}): void {
  if (!Number.isFinite(value) || value < 0 || (below1 && value >= 1)) {
    throw new Error(`AdamW: ${what} must be a finite number ≥ 0${below1 ? ' and < 1' : ''}, got ${value}`);
  }
}

export class AdamW {
  /** The base learning rate; the schedule writes it before each step. */
  lr: number;
  /** The base weight decay. */
  weightDecay: number;
  readonly groups: readonly AdamWGroup[];
  /** Every parameter, group after group: `step` takes the gradients in this order. */
  readonly parameters: readonly Variable[];
  private steps = 0;
  private moments: Array<{ m: Variable; v: Variable }> = [];

  constructor(groups: readonly AdamWGroupOptions[], options: AdamWOptions) {
    this.lr = options.lr;
    this.weightDecay = options.weightDecay ?? 0;
    checkFinite('lr', this.lr);
    checkFinite('weightDecay', this.weightDecay);
    const betas = options.betas ?? [0.9, 0.999];
    const eps = options.eps ?? 1e-8;
    const seen = new Set<Variable>();
    this.groups = groups.map((g, i) => {
      const group: AdamWGroup = {
        name: g.name ?? `group_${i}`,
        params: [...g.params],
        lrMultiplier: g.lrMultiplier ?? 1,
        wdMultiplier: g.wdMultiplier ?? 1,
        betas: g.betas ?? betas,
        eps: g.eps ?? eps,
      };
      checkFinite(`group '${group.name}' lrMultiplier`, group.lrMultiplier);
      checkFinite(`group '${group.name}' wdMultiplier`, group.wdMultiplier);
      checkFinite(`group '${group.name}' beta1`, group.betas[0], { below1: true });
      checkFinite(`group '${group.name}' beta2`, group.betas[1], { below1: true });
      checkFinite(`group '${group.name}' eps`, group.eps);
      for (const p of group.params) {
        if (seen.has(p)) throw new Error(`AdamW: parameter '${p.name}' appears in more than one group`);
        seen.add(p);
      }
      return group;
    });
    this.parameters = this.groups.flatMap((g) => g.params);
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** The learning rate and weight decay a group gets at the current base values. */
  effective(group: AdamWGroup): { lr: number; weightDecay: number } {
    return { lr: this.lr * group.lrMultiplier, weightDecay: this.weightDecay * group.wdMultiplier };
  }

  /**
   * One update of every parameter from `grads`: an array aligned with `parameters`, or a map from each parameter
   * to its gradient (any order). Each gradient has its parameter's shape and dtype; they stay the caller's.
   */
  step(gradients: readonly Tensor[] | ReadonlyMap<Variable, Tensor>): void {
    const grads = this.alignGradients(gradients);
    checkFinite('lr', this.lr);
    this.parameters.forEach((p, i) => {
      const g = grads[i]!;
      if (!sameShape(g.shape, p.shape) || g.dtype !== p.dtype) {
        throw new Error(
          `AdamW.step: gradient ${i} is ${g.dtype}${formatShape(g.shape)}, parameter '${p.name}' is ${p.dtype}${formatShape(p.shape)}`,
        );
      }
    });
    if (this.moments.length === 0) this.moments = this.parameters.map((p) => this.zeroMoments(p));
    const step = this.steps + 1;
    for (const batch of this.batches(grads)) adamWMulti(batch.entries, { ...batch.shared, step });
    this.steps = step;
  }

  /**
   * The step's `adamWMulti` calls: parameters with the same betas, eps, dtype and backend share one call (each
   * carries its group's lr and weight decay), so a typical model is updated by one kernel launch. A backend without
   * the multi-tensor kernel runs the per-tensor AdamW on each, with identical results.
   */
  private batches(
    grads: readonly Tensor[],
  ): Array<{ shared: Omit<AdamWMultiHyper, 'step'>; entries: AdamWMultiEntry[] }> {
    const batches = new Map<string, { shared: Omit<AdamWMultiHyper, 'step'>; entries: AdamWMultiEntry[] }>();
    const backendIds = new Map<unknown, number>();
    let index = 0;
    for (const group of this.groups) {
      const { lr, weightDecay } = this.effective(group);
      const shared = { beta1: group.betas[0], beta2: group.betas[1], eps: group.eps };
      for (const param of group.params) {
        if (!backendIds.has(param.backend)) backendIds.set(param.backend, backendIds.size);
        const key = `${shared.beta1}/${shared.beta2}/${shared.eps}/${param.dtype}/${backendIds.get(param.backend)}`;
        let batch = batches.get(key);
        if (!batch) {
          batch = { shared, entries: [] };
          batches.set(key, batch);
        }
        const { m, v } = this.moments[index]!;
        batch.entries.push({ param, grad: grads[index]!, m, v, lr, weightDecay });
        index++;
      }
    }
    return [...batches.values()];
  }

  private alignGradients(gradients: readonly Tensor[] | ReadonlyMap<Variable, Tensor>): readonly Tensor[] {
    if (!(gradients instanceof Map)) {
      const list = gradients as readonly Tensor[];
      if (list.length !== this.parameters.length) {
        throw new Error(`AdamW.step: ${list.length} gradients for ${this.parameters.length} parameters`);
      }
      return list;
    }
    const byParam = gradients as ReadonlyMap<Variable, Tensor>;
    if (byParam.size !== this.parameters.length) {
      throw new Error(`AdamW.step: ${byParam.size} gradients for ${this.parameters.length} parameters`);
    }
    return this.parameters.map((p) => {
      const g = byParam.get(p);
      if (!g) throw new Error(`AdamW.step: no gradient for parameter '${p.name}'`);
      return g;
    });
  }

  private zeroMoments(p: Variable): { m: Variable; v: Variable } {
    const dtype = p.dtype === 'f64' ? 'f64' : 'f32';
    const zero = zeros(p.shape, dtype, p.backend);
    const moments = {
      m: variable(zero, { name: `${p.name}.exp_avg`, trainable: false }),
      v: variable(zero, { name: `${p.name}.exp_avg_sq`, trainable: false }),
    };
    zero.dispose();
    return moments;
  }

  /** The step count and the moments (views of the live variables: copy or save them before the next step). */
  state(): AdamWState {
    return {
      step: this.steps,
      moments: this.moments.map(({ m, v }, i) => ({ name: this.parameters[i]!.name, m, v })),
    };
  }

  /**
   * Restores a state from `state()` (possibly of another process): the moments are copied into this optimizer's
   * variables. Refuses a state for other parameters (count, names, shapes) by name.
   */
  loadState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`AdamW.loadState: bad step ${state.step}`);
    if (state.moments.length !== 0 && state.moments.length !== this.parameters.length) {
      throw new Error(`AdamW.loadState: ${state.moments.length} moment pairs for ${this.parameters.length} parameters`);
    }
    if (state.moments.length === 0 && state.step > 0) {
      throw new Error(`AdamW.loadState: step ${state.step} but no moments`);
    }
    // Check everything before allocating, so a refused state leaves the optimizer as it was.
    state.moments.forEach((s, i) => {
      const p = this.parameters[i]!;
      if (s.name !== p.name)
        throw new Error(`AdamW.loadState: moment ${i} is for '${s.name}', parameter is '${p.name}'`);
      const dtype = p.dtype === 'f64' ? 'f64' : 'f32';
      for (const [what, src] of [
        ['m', s.m],
        ['v', s.v],
      ] as const) {
        if (!sameShape(src.shape, p.shape) || src.dtype !== dtype) {
          throw new Error(
            `AdamW.loadState: ${what} of '${p.name}' is ${src.dtype}${formatShape(src.shape)}, expected ${dtype}${formatShape(p.shape)}`,
          );
        }
      }
    });
    const fresh = state.moments.map((s, i) => {
      const moments = this.zeroMoments(this.parameters[i]!);
      moments.m.assign(s.m);
      moments.v.assign(s.v);
      return moments;
    });
    this.disposeMoments();
    this.moments = fresh;
    this.steps = state.step;
  }

  private disposeMoments(): void {
    for (const { m, v } of this.moments) dispose([m, v]);
    this.moments = [];
  }

  /** Frees the moments (the parameters stay the caller's). */
  dispose(): void {
    this.disposeMoments();
  }
}
