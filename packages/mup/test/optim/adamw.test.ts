/**
 * AdamW over two groups with different learning-rate and weight-decay multipliers, against the AdamW formula
 * evaluated here in float64 (PyTorch's torch.optim.AdamW, decoupled decay), over three steps; state round trips.
 */
import '@falcon-h1/backend-reference';
import {
  AdamW,
  dispatchCounts,
  dispose,
  memory,
  resetDispatchCounts,
  setFallbackPolicy,
  tensor,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { floats, relL2 } from '../helpers.js';

/** One AdamW step in float64 on plain arrays (the test's own oracle). */
function referenceStep(
  p: number[],
  g: number[],
  m: number[],
  v: number[],
  h: { lr: number; wd: number; b1: number; b2: number; eps: number; t: number },
): void {
  for (let i = 0; i < p.length; i++) {
    p[i] = p[i]! * (1 - h.lr * h.wd);
    m[i] = h.b1 * m[i]! + (1 - h.b1) * g[i]!;
    v[i] = h.b2 * v[i]! + (1 - h.b2) * g[i]! ** 2;
    const mHat = m[i]! / (1 - h.b1 ** h.t);
    const vHat = v[i]! / (1 - h.b2 ** h.t);
    p[i] = p[i]! - (h.lr * mHat) / (Math.sqrt(vHat) + h.eps);
  }
}

const P0 = [
  [0.5, -1.25, 2, 0.125, -0.75, 1.5],
  [3, -0.5, 0.25],
];
const GRADS = [
  [
    [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
    [1.5, 0.25, -2],
  ],
  [
    [-0.3, 0.1, 0.05, 0.2, -0.1, 0.4],
    [-1, 0.5, 0.75],
  ],
  [
    [0.2, 0.2, -0.1, 0.3, 0.0, -0.2],
    [0.25, -0.125, 1],
  ],
];

describe('AdamW', () => {
  for (const [dtype, path] of [
    ['f32', 'native'],
    ['f64', 'native'],
    ['f32', 'fallback'],
  ] as const) {
    it(`two groups, three steps, matches the formula in float64 (${dtype} parameters, ${path} kernel)`, async () => {
      setFallbackPolicy(path === 'fallback' ? 'all' : 'none');
      resetDispatchCounts();
      const before = memory().numTensors;
      const init = P0.map((values, i) => tensor(values, i === 0 ? [2, 3] : [3], dtype));
      const params = init.map((t, i) => variable(t, { name: `p${i}` }));
      dispose(init);
      const opt = new AdamW(
        [
          { name: 'a', params: [params[0]!], lrMultiplier: 1, wdMultiplier: 1 },
          { name: 'b', params: [params[1]!], lrMultiplier: 0.25, wdMultiplier: 0, betas: [0.8, 0.99] },
        ],
        { lr: 0.01, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8 },
      );
      const want = P0.map((p) => [...p]);
      const m = P0.map((p) => p.map(() => 0));
      const v = P0.map((p) => p.map(() => 0));
      const hypers = [
        { lr: 0.01, wd: 0.1, b1: 0.9, b2: 0.95, eps: 1e-8 },
        { lr: 0.0025, wd: 0, b1: 0.8, b2: 0.99, eps: 1e-8 },
      ];
      for (let t = 1; t <= GRADS.length; t++) {
        // The stored gradient is rounded to the parameter dtype: the oracle reads back the same values.
        const grads = GRADS[t - 1]!.map((g, i) => tensor(g, params[i]!.shape, dtype));
        for (let i = 0; i < 2; i++) {
          const g = await floats(grads[i]!);
          referenceStep(want[i]!, g, m[i]!, v[i]!, { ...hypers[i]!, t });
        }
        opt.step(grads);
        dispose(grads);
      }
      expect(opt.stepCount).toBe(3);
      // One AdamWMulti call per step and distinct betas (the two groups' differ); it falls back to per-tensor AdamW.
      expect(dispatchCounts().AdamWMulti?.[path]).toBe(6);
      if (path === 'fallback') expect(dispatchCounts().AdamW?.fallback).toBe(6);
      setFallbackPolicy('none');
      const bound = dtype === 'f64' ? 1e-12 : 1e-6;
      for (let i = 0; i < 2; i++) expect(relL2(await floats(params[i]!), want[i]!)).toBeLessThan(bound);
      const state = opt.state();
      for (let i = 0; i < 2; i++) {
        expect(relL2(await floats(state.moments[i]!.m), m[i]!)).toBeLessThan(bound);
        expect(relL2(await floats(state.moments[i]!.v), v[i]!)).toBeLessThan(bound);
      }
      opt.dispose();
      dispose(params);
      expect(memory().numTensors).toBe(before);
    });
  }

  it('a restored state continues exactly as the original', async () => {
    const make = (): { params: ReturnType<typeof variable>[]; opt: AdamW } => {
      const t = tensor([1, 2, 3, 4], [4], 'f32');
      const params = [variable(t, { name: 'w' })];
      t.dispose();
      return { params, opt: new AdamW([{ params }], { lr: 0.1, weightDecay: 0.01 }) };
    };
    const a = make();
    const b = make();
    const g1 = tensor([0.5, -0.5, 0.25, 1], [4], 'f32');
    const g2 = tensor([-0.1, 0.3, 0.2, -0.7], [4], 'f32');
    a.opt.step([g1]);
    b.opt.step([g1]);
    // A third optimizer takes b's parameters and state, as a resumed run would.
    const c = make();
    c.params[0]!.assign(b.params[0]!);
    c.opt.loadState(b.opt.state());
    a.opt.step([g2]);
    c.opt.step([g2]);
    expect(c.opt.stepCount).toBe(2);
    expect(await floats(c.params[0]!)).toEqual(await floats(a.params[0]!));
    for (const run of [a, b, c]) {
      run.opt.dispose();
      dispose(run.params);
    }
    dispose([g1, g2]);
  });

  it('refuses bad groups, gradients and states by name', () => {
    const t = tensor([1, 2], [2], 'f32');
    const w = variable(t, { name: 'w' });
    t.dispose();
    expect(() => new AdamW([{ params: [w] }, { params: [w] }], { lr: 1 })).toThrow(/'w' appears in more than one/);
    expect(() => new AdamW([{ params: [w], lrMultiplier: -1 }], { lr: 1 })).toThrow(/lrMultiplier/);
    const opt = new AdamW([{ params: [w] }], { lr: 1 });
    expect(() => opt.step([])).toThrow(/0 gradients for 1 parameters/);
    const otherInit = tensor([1, 2], [2], 'f32');
    const other = variable(otherInit, { name: 'other' });
    otherInit.dispose();
    expect(() => opt.step(new Map([[other, other]]))).toThrow(/no gradient for parameter 'w'/);
    const wrong = tensor([1, 2, 3], [3], 'f32');
    expect(() => opt.step([wrong])).toThrow(/parameter 'w' is f32\[2\]/);
    expect(() => opt.loadState({ step: 1, moments: [{ name: 'x', m: wrong, v: wrong }] })).toThrow(/for 'x'/);
    dispose([wrong, w, other]);
  });
});
