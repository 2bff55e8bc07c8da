/**
 * Reverse-mode automatic differentiation over the engine's tape.
 *
 * `vjp(f, xs, dys)` runs f while a tape watches xs, then walks the tape backwards calling each operation's
 * gradient (defined once per kernel in src/gradients/, in terms of other kernels) and returns d(outputs·dys)/dxs.
 * Everything f and the backward pass allocate is freed before returning, except the outputs and the gradients.
 */

import { isFloatDType } from './dtype.js';
import { ENGINE, type Tape } from './engine.js';
import type { Tensor } from './tensor.js';

export type Outputs = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor | undefined>>;

export interface VjpResult<T extends Outputs> {
  /** What f returned. */
  value: T;
  /** One gradient per x (zeros when x does not influence the outputs). */
  grads: Tensor[];
}

/**
 * Vector-Jacobian product: the gradients of Σ outputs ⊙ dys with respect to xs. `dys` mirrors f's result
 * (a tensor, an array, or a record with the same keys); a missing dy means that output gets no gradient.
 */
export type Cotangents = Tensor | readonly (Tensor | undefined)[] | Readonly<Record<string, Tensor | undefined>>;

export function vjp<T extends Outputs>(
  f: () => T,
  xs: readonly Tensor[],
  dys: Cotangents | ((value: T) => Cotangents),
): VjpResult<T> {
  for (const x of xs) {
    if (!isFloatDType(x.dtype)) throw new Error(`cannot differentiate with respect to a ${x.dtype} tensor`);
  }
  ENGINE.startScope('vjp');
  let tape: Tape | undefined;
  try {
    tape = ENGINE.pushTape(xs);
    let value: T;
    try {
      value = f();
    } finally {
      ENGINE.popTape(tape);
    }
    const seeds = pairSeeds(value, typeof dys === 'function' ? dys(value) : dys);
    const grads = backprop(tape, seeds, xs);
    ENGINE.releaseTape(tape);
    ENGINE.endScope({ value, grads });
    return { value, grads };
  } catch (error) {
    if (tape) ENGINE.releaseTape(tape);
    ENGINE.endScope();
    throw error;
  }
}

/** The value of a scalar-valued f and its gradients with respect to xs (dy = 1). */
export function valueAndGrads(f: () => Tensor, xs: readonly Tensor[]): { value: Tensor; grads: Tensor[] } {
  return vjp(f, xs, (value) =>
    ENGINE.runKernel('Fill', {}, { shape: [...value.shape], dtype: value.dtype, value: 1 }, value.backend),
  );
}

/** Gradients of a scalar-valued f with respect to xs. */
export function grads(f: () => Tensor, xs: readonly Tensor[]): Tensor[] {
  const { value, grads: g } = valueAndGrads(f, xs);
  // f may return one of xs itself (identity): that tensor is the caller's, not ours to dispose.
  if (!xs.includes(value)) value.dispose();
  return g;
}

function pairSeeds(value: Outputs, dys: Cotangents): Array<[Tensor, Tensor]> {
  const pairs: Array<[Tensor, Tensor | undefined]> = [];
  if (isTensor(value)) {
    pairs.push([value, isTensor(dys) ? dys : (dys as readonly (Tensor | undefined)[])[0]]);
  } else if (Array.isArray(value)) {
    const list = dys as readonly (Tensor | undefined)[];
    value.forEach((v: Tensor, i: number) => {
      pairs.push([v, list[i]]);
    });
  } else {
    const record = dys as Readonly<Record<string, Tensor | undefined>>;
    for (const [key, v] of Object.entries(value as Record<string, Tensor | undefined>)) {
      if (v) pairs.push([v, record[key]]);
    }
  }
  const seeds: Array<[Tensor, Tensor]> = [];
  for (const [out, dy] of pairs) {
    if (!dy) continue;
    if (dy.shape.join(',') !== out.shape.join(',')) {
      throw new Error(`vjp: dy of shape [${dy.shape.join(', ')}] for an output of shape [${out.shape.join(', ')}]`);
    }
    seeds.push([out, dy]);
  }
  return seeds;
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'backend' in value;
}

/** Walks the tape backwards from the seeds and returns the accumulated gradient of each x. */
function backprop(tape: Tape, seeds: Array<[Tensor, Tensor]>, xs: readonly Tensor[]): Tensor[] {
  const accumulated = new Map<number, Tensor>();
  const accumulate = (target: Tensor, grad: Tensor): void => {
    if (grad.shape.join(',') !== target.shape.join(',')) {
      throw new Error(
        `internal gradient error: gradient of shape [${grad.shape.join(', ')}] for a tensor of shape [${target.shape.join(', ')}]`,
      );
    }
    const previous = accumulated.get(target.id);
    accumulated.set(target.id, previous ? ENGINE.runKernel('Add', { a: previous, b: grad }, {}) : grad);
  };
  // An input's gradient is accumulated when the input depends on what the tape watches and can carry a gradient.
  const receivesGradient = (t: Tensor): boolean => tape.watched.has(t.id) && isFloatDType(t.dtype);
  ENGINE.noGrad(() => {
    for (const [out, dy] of seeds) accumulate(out, dy);
    for (let n = tape.nodes.length - 1; n >= 0; n--) {
      const node = tape.nodes[n]!;
      const dys: Record<string, Tensor | undefined> = {};
      let any = false;
      for (const [key, out] of Object.entries(node.outputs)) {
        const g = out ? accumulated.get(out.id) : undefined;
        dys[key] = g;
        if (g) any = true;
      }
      if (!any) continue;
      // The inputs whose gradient is accumulated below: the gradient may skip the others' work.
      const needs = (key: string): boolean => {
        const input = node.inputs[key];
        if (input === undefined) return false;
        return (Array.isArray(input) ? input : [input]).some(receivesGradient);
      };
      const inputGrads = node.gradFunc(dys, node, needs);
      for (const [key, input] of Object.entries(node.inputs)) {
        const g = inputGrads[key];
        if (input === undefined || g === undefined) continue;
        if (Array.isArray(input)) {
          const list = g as (Tensor | undefined)[];
          input.forEach((t, i) => {
            const gi = list[i];
            if (gi && receivesGradient(t)) accumulate(t, gi);
          });
        } else if (receivesGradient(input)) {
          accumulate(input, g as Tensor);
        }
      }
    }
  });
  // Each returned gradient must be a tensor of its own: a gradient can be the caller's dy itself (Add, Copy and
  // reshape pass dy through) or the same tensor for two xs, and disposing one must not kill the other. Those get
  // a view (a new tensor sharing the buffer).
  const taken = new Set<Tensor>(seeds.map(([, dy]) => dy));
  return xs.map((x) => {
    const g = accumulated.get(x.id);
    if (!g) return ENGINE.runKernel('Fill', {}, { shape: [...x.shape], dtype: x.dtype, value: 0 }, x.backend);
    if (taken.has(g)) return ENGINE.makeView(g, g.shape);
    taken.add(g);
    return g;
  });
}
