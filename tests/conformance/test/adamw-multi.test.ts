/**
 * The AdamW optimizer's multi-tensor path (one `AdamWMulti` call for many parameters) against its per-tensor path
 * (`AdamWMulti` forced to fall back, so every parameter takes its own `AdamW` call), on every backend that starts
 * here: over three steps of four parameters in three groups (two sharing betas, so one call spans groups with
 * different learning-rate and weight-decay multipliers), parameters and moments must agree bit for bit — the
 * multi-tensor kernel is the same arithmetic, not an approximation.
 */
import {
  AdamW,
  type Backend,
  dispatchCounts,
  dispose,
  memory,
  resetDispatchCounts,
  setFallbackPolicy,
  tensor,
  useBackend,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng, randomArray } from '../src/random.js';
import { backendsHere } from './backends-here.js';

const SHAPES = [[3, 5], [7], [2, 2, 3], [4]];
const STEPS = 3;

interface Run {
  params: number[][];
  m: number[][];
  v: number[][];
  counts: ReturnType<typeof dispatchCounts>;
}

async function train(backend: Backend, dtype: 'f32' | 'bf16', perTensor: boolean): Promise<Run> {
  setFallbackPolicy(perTensor ? ['AdamWMulti'] : 'none');
  resetDispatchCounts();
  const rng = createRng(7);
  const params: Variable[] = SHAPES.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const init = tensor(randomArray(rng, size, -1, 1), shape, dtype, backend);
    const p = variable(init, { name: `p${i}` });
    init.dispose();
    return p;
  });
  const opt = new AdamW(
    [
      { name: 'matrices', params: [params[0]!, params[1]!] },
      { name: 'norms', params: [params[2]!], lrMultiplier: 0.5, wdMultiplier: 0 },
      { name: 'other betas', params: [params[3]!], lrMultiplier: 2, betas: [0.8, 0.99] },
    ],
    { lr: 1e-2, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8 },
  );
  for (let step = 0; step < STEPS; step++) {
    const grads = SHAPES.map((shape) =>
      tensor(
        randomArray(
          rng,
          shape.reduce((a, b) => a * b, 1),
          -0.5,
          0.5,
        ),
        shape,
        dtype,
        backend,
      ),
    );
    opt.step(grads);
    dispose(grads);
  }
  const state = opt.state();
  const read = async (ts: readonly { data(): Promise<ArrayLike<number> | ArrayLike<bigint>> }[]) =>
    Promise.all(ts.map(async (t) => Array.from(await t.data(), Number)));
  const run: Run = {
    params: await read(params),
    m: await read(state.moments.map((s) => s.m)),
    v: await read(state.moments.map((s) => s.v)),
    counts: dispatchCounts(),
  };
  opt.dispose();
  dispose(params);
  setFallbackPolicy('none');
  return run;
}

afterEach(() => setFallbackPolicy('none'));

for (const { name, backend } of await backendsHere('AdamWMulti')) {
  describe(`AdamW multi-tensor vs per-tensor on ${name}`, () => {
    const dtypes = (['f32', 'bf16'] as const).filter((d) => backend.capabilities.dtypes.includes(d));
    it.each(dtypes)('%s parameters: identical parameters and moments after three steps', async (dtype) => {
      useBackend(backend);
      const before = memory().numTensors;
      const multi = await train(backend, dtype, false);
      const single = await train(backend, dtype, true);
      expect(multi.params).toEqual(single.params);
      expect(multi.m).toEqual(single.m);
      expect(multi.v).toEqual(single.v);
      // Two calls a step (the fourth parameter's betas differ); the forced run took four per-tensor AdamW calls.
      const path = backend.kernels.AdamWMulti ? 'native' : 'fallback';
      expect(multi.counts.AdamWMulti?.[path]).toBe(2 * STEPS);
      expect(single.counts.AdamWMulti?.fallback).toBe(2 * STEPS);
      expect((single.counts.AdamW?.native ?? 0) + (single.counts.AdamW?.fallback ?? 0)).toBe(4 * STEPS);
      expect(memory().numTensors).toBe(before);
    });
  });
}
