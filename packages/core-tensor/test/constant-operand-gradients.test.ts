/**
 * Backprop hands each gradient a `needs(key)` predicate, and the binary ops' gradients (Add, Sub, Mul, Div, Maximum,
 * Minimum, Where, MatMul) skip the work of an operand the tape does not watch — a constant: a mask, a broadcast
 * constant, a frozen weight. On the reference backend in float64: the watched operand's gradient is exactly what it
 * was (the same kernels in the same order), the constant's gradient kernels no longer run, and nothing leaks.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  dispose,
  div,
  ENGINE,
  type GradFunc,
  greater,
  matmul,
  maximum,
  minimum,
  mul,
  sub,
  sum,
  type Tensor,
  tensor,
  tidy,
  valueAndGrads,
  where,
} from '../src/index.js';
import { kernelsOf } from './kernels-run.js';
import { referenceBackendWithoutLeaks } from './reference-backend-no-leaks.js';

referenceBackendWithoutLeaks();

/** [3, 4] float64 values (the watched x). */
const input = (): Tensor =>
  tensor(
    Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)),
    [3, 4],
    'f64',
  );
/** A constant [4] row broadcast against x. */
const row = (): Tensor => tensor([0.5, -2, 3, 0.25], [4], 'f64');

/** Σ (x ∘ c)² style losses: each op with x watched and c constant, on either side. */
const CASES: Array<{ name: string; loss: (x: Tensor, c: Tensor) => Tensor; constantGradKernels: string[] }> = [
  { name: 'Mul, c on the right', loss: (x, c) => sum(mul(mul(x, c), x)), constantGradKernels: ['Mul', 'Sum'] },
  { name: 'Mul, c on the left', loss: (x, c) => sum(mul(mul(c, x), x)), constantGradKernels: ['Mul', 'Sum'] },
  { name: 'Add (broadcast c)', loss: (x, c) => sum(mul(add(x, c), x)), constantGradKernels: ['Sum'] },
  { name: 'Sub (broadcast c)', loss: (x, c) => sum(mul(sub(c, x), x)), constantGradKernels: ['Sum'] },
  { name: 'Div by c', loss: (x, c) => sum(mul(div(x, c), x)), constantGradKernels: ['Mul', 'Neg', 'Sum'] },
  {
    name: 'Maximum with a constant floor',
    loss: (x, c) => sum(mul(maximum(x, c), x)),
    constantGradKernels: ['Where', 'Less', 'Sum'],
  },
  {
    name: 'Minimum with a constant ceiling (c on the left)',
    loss: (x, c) => sum(mul(minimum(c, x), x)),
    constantGradKernels: ['Where', 'Less', 'Sum'],
  },
  {
    name: 'Div of a constant by x',
    loss: (x, c) => sum(mul(div(c, x), x)),
    constantGradKernels: ['Sum'],
  },
  {
    name: 'Where with a constant branch',
    loss: (x, c) => sum(mul(where(greater(x, tensor([0], [1], 'f64')), x, c), x)),
    constantGradKernels: ['Where', 'Sum'],
  },
];

/** `fn` with every gradient called without `needs` (each input's gradient computed: what backprop ran before). */
function withoutNeeds<T>(fn: () => T): T {
  const engine = ENGINE as unknown as { record: (...a: unknown[]) => void };
  const record = engine.record;
  engine.record = (name: unknown, inputs: unknown, outputs: unknown, attrs: unknown, gradFunc: unknown) =>
    record.call(ENGINE, name, inputs, outputs, attrs, ((dys, node) => (gradFunc as GradFunc)(dys, node)) as GradFunc);
  try {
    return fn();
  } finally {
    engine.record = record;
  }
}

describe('gradients skip constant operands', () => {
  for (const { name, loss, constantGradKernels } of CASES) {
    it(`${name}: the same gradient of x, without the constant's gradient kernels`, async () => {
      const x = input();
      const c = row();
      const backward = (): Tensor => tidy(() => valueAndGrads(() => loss(x, c), [x]).grads[0]!);
      const skipping = kernelsOf(() => dispose(backward()));
      const all = withoutNeeds(() => kernelsOf(() => dispose(backward())));
      const [got, want] = [backward(), withoutNeeds(backward)];
      expect([...((await got.data()) as Float64Array)]).toEqual([...((await want.data()) as Float64Array)]);
      // Every kernel the constant's gradient ran before, one fewer each now (at least; Sum only where c broadcasts).
      const fewer = (kernel: string): number => (all.get(kernel) ?? 0) - (skipping.get(kernel) ?? 0);
      for (const kernel of constantGradKernels) expect(fewer(kernel)).toBeGreaterThanOrEqual(1);
      for (const [kernel, n] of skipping) expect(n).toBeLessThanOrEqual(all.get(kernel) ?? 0);
      dispose([x, c, got, want]);
    });
  }

  it('MatMul with a constant operand on either side: one MatMul fewer in the backward', async () => {
    const x = input();
    const w = tensor(
      Array.from({ length: 20 }, (_, i) => Math.cos(i)),
      [5, 4],
      'f64',
    );
    const products: Array<(x: Tensor) => Tensor> = [
      (v) => matmul(v, w, false, true), // x·wᵀ: the weight is B
      (v) => matmul(w, v, false, true), // w·xᵀ: the constant is A
    ];
    for (const product of products) {
      const loss = (): Tensor => {
        const p = product(x);
        return sum(mul(p, p));
      };
      const backward = (): Tensor => tidy(() => valueAndGrads(loss, [x]).grads[0]!);
      const skipping = kernelsOf(() => dispose(backward()));
      const all = withoutNeeds(() => kernelsOf(() => dispose(backward())));
      const [got, want] = [backward(), withoutNeeds(backward)];
      expect([...((await got.data()) as Float64Array)]).toEqual([...((await want.data()) as Float64Array)]);
      expect((all.get('MatMul') ?? 0) - (skipping.get('MatMul') ?? 0)).toBe(1);
      dispose([got, want]);
    }
    dispose([x, w]);
  });
});
