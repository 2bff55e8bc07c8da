/**
 * Activation checkpointing on the reference backend in float64: gradients through `checkpoint` are bit-identical to
 * the plain tape's (the same kernels run on the same values in the same order), for explicit inputs, parameters
 * captured by closure, nested checkpoints, several outputs, undifferentiated inputs; the forward keeps O(blocks)
 * tensors instead of O(blocks × ops); nothing leaks (checked after every test), even when the backward pass fails.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  cast,
  checkpoint,
  dispose,
  exp,
  grads,
  matmul,
  memory,
  mul,
  rmsNorm,
  scale,
  sigmoid,
  sum,
  type Tensor,
  tanh,
  tensor,
  tidy,
  type Variable,
  valueAndGrads,
  variable,
} from '../src/index.js';
import { referenceBackendWithoutLeaks } from './reference-backend-no-leaks.js';

// Every test frees what it made: whatever checkpoint, the forward and the backward pass allocate must be gone.
referenceBackendWithoutLeaks();

/** Deterministic values in [-1, 1) (a small LCG), so every run sees the same numbers. */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return (s / 4294967296) * 2 - 1;
  });
}

const D = 4;

/** An i32 [2, D] tensor whose entries equal their column index modulo m (integer data the block reads). */
const index = (m: number): Tensor =>
  tensor(
    Array.from({ length: 2 * D }, (_, i) => (i % D) % m),
    [2, D],
    'i32',
  );
const random = (shape: number[], seed: number): Tensor =>
  tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
    'f64',
  );

/** A trainable variable of random values (the temporary tensor it copies is freed). */
function param(shape: number[], seed: number, name?: string): Variable {
  const initial = random(shape, seed);
  const v = variable(initial, { name });
  initial.dispose();
  return v;
}

/** max over gradients of ‖got − want‖ / ‖want‖ (NaN gives Infinity). */
function worstRelativeError(got: number[][], want: number[][]): number {
  let worst = 0;
  got.forEach((g, i) => {
    let d2 = 0;
    let w2 = 0;
    g.forEach((v, j) => {
      d2 += (v - want[i]![j]!) ** 2;
      w2 += want[i]![j]! ** 2;
    });
    const err = Math.sqrt(d2) / Math.sqrt(w2);
    worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : Math.max(worst, err);
  });
  return worst;
}

/** A composite block of several kinds of ops (matmul, fused rmsNorm, unary, binary, scale): x [2, D] → [2, D]. */
function block(x: Tensor, w: Tensor, g: Tensor): Tensor {
  const h = rmsNorm(x, g, 1e-6);
  return add(x, mul(tanh(matmul(h, w)), sigmoid(scale(x, 0.5, 0.25))));
}

/** Gradients of `loss` with respect to xs as plain arrays (then freed). */
function gradientsOf(loss: () => Tensor, xs: readonly Tensor[]): number[][] {
  const { value, grads: g } = valueAndGrads(loss, xs);
  const out = g.map((t) => Array.from(t.dataSync() as Float64Array));
  dispose([value, ...g]);
  return out;
}

describe('checkpoint', () => {
  it('is exactly fn(...inputs) when no tape records', () => {
    const x = random([2, D], 1);
    let made: Tensor | undefined;
    const y = checkpoint(
      (a: Tensor) => {
        made = exp(a);
        return made;
      },
      [x],
    );
    expect(y).toBe(made);
    dispose([x, y]);
  });

  it('composite function of explicit inputs: gradients bit-identical to the plain tape', () => {
    const x = random([2, D], 2);
    const w = random([D, D], 3);
    const g = random([D], 4);
    const plain = gradientsOf(() => sum(block(x, w, g)), [x, w, g]);
    const checkpointed = gradientsOf(() => sum(checkpoint(block, [x, w, g])), [x, w, g]);
    expect(checkpointed).toEqual(plain);
    dispose([x, w, g]);
  });

  it('function closing over Variables: their gradients reach the outer backward pass', () => {
    const x = random([2, D], 5);
    const w = param([D, D], 6, 'w');
    const g = param([D], 7, 'g');
    let calls = 0;
    const layer = (a: Tensor): Tensor => {
      calls++;
      return block(a, w, g);
    };
    const plain = gradientsOf(() => sum(exp(layer(x))), [x, w, g]);
    calls = 0;
    const checkpointed = gradientsOf(() => sum(exp(checkpoint(layer, [x]))), [x, w, g]);
    expect(checkpointed).toEqual(plain);
    expect(calls).toBe(2); // the forward, then the recomputation in the backward pass
    dispose([x, w, g]);
  });

  it('a checkpoint whose input is not differentiated (only the captured parameters are)', () => {
    const x = random([2, D], 8);
    const w = param([D, D], 9);
    const g = param([D], 10);
    const plain = gradientsOf(() => sum(block(x, w, g)), [w, g]);
    const checkpointed = gradientsOf(() => sum(checkpoint((a: Tensor) => block(a, w, g), [x])), [w, g]);
    expect(checkpointed).toEqual(plain);
    // Nothing differentiated reaches fn: no operation is recorded, and the gradient is the other term's alone.
    const unrelated = param([D], 11);
    const [ones] = gradientsOf(
      () => add(sum(checkpoint((a: Tensor) => block(a, w, g), [x])), sum(unrelated)),
      [unrelated],
    );
    expect(ones).toEqual([1, 1, 1, 1]);
    dispose([x, w, g, unrelated]);
  });

  it('nested checkpoints', () => {
    const x = random([2, D], 12);
    const w1 = param([D, D], 13);
    const w2 = param([D, D], 14);
    const g = param([D], 15);
    let innerCalls = 0;
    const inner = (a: Tensor, w: Tensor): Tensor => {
      innerCalls++;
      return block(a, w, g);
    };
    const outer = (a: Tensor): Tensor => mul(inner(inner(a, w1), w2), a);
    const outerCheckpointed = (a: Tensor): Tensor =>
      mul(
        checkpoint((b: Tensor) => inner(b, w2), [checkpoint((b: Tensor) => inner(b, w1), [a])]),
        a,
      );
    const xs = [x, w1, w2, g];
    const plain = gradientsOf(() => sum(outer(x)), xs);
    innerCalls = 0;
    const nested = gradientsOf(() => sum(checkpoint(outerCheckpointed, [x])), xs);
    // Not bit-identical, by design: x is used inside the inner checkpoint and again outside it, so the plain tape
    // adds x's gradient contributions one by one while the checkpoint first sums those from inside its block and
    // then adds the outside one — the same terms, associated differently (a few ulps).
    expect(worstRelativeError(nested, plain)).toBeLessThanOrEqual(1e-12);
    // Where no tensor is shared across a checkpoint boundary (the parameters are each used in one block), the
    // gradients are bit-identical.
    expect(nested.slice(1)).toEqual(plain.slice(1));
    // Each inner block: the forward, the outer block's recomputation, then its own recomputation.
    expect(innerCalls).toBe(6);
    dispose([x, w1, w2, g]);
  });

  it('several outputs, one unused (and an input returned unchanged)', () => {
    const x = random([2, D], 16);
    const w = param([D, D], 17);
    const g = param([D], 18);
    const two = (a: Tensor): Tensor[] => [block(a, w, g), tanh(matmul(a, w))];
    const plain = gradientsOf(() => sum(two(x)[0]!), [x, w, g]);
    const oneUsed = gradientsOf(() => sum(checkpoint(two, [x])[0]!), [x, w, g]);
    expect(oneUsed).toEqual(plain);
    const plainBoth = gradientsOf(() => {
      const [a, b] = two(x);
      return add(sum(a!), sum(mul(b!, b!)));
    }, [x, w, g]);
    const bothUsed = gradientsOf(() => {
      const [a, b] = checkpoint(two, [x]);
      return add(sum(a!), sum(mul(b!, b!)));
    }, [x, w, g]);
    expect(bothUsed).toEqual(plainBoth);
    const passThrough = (a: Tensor): Tensor[] => [a, exp(a)];
    const identityPlain = gradientsOf(() => {
      const [a, b] = passThrough(x);
      return sum(mul(a!, b!));
    }, [x]);
    const identity = gradientsOf(() => {
      const [a, b] = checkpoint(passThrough, [x]);
      return sum(mul(a!, b!));
    }, [x]);
    expect(identity).toEqual(identityPlain);
    dispose([x, w, g]);
  });

  it('integer inputs are kept for the recomputation and get no gradient', () => {
    const x = random([2, D], 19);
    const masked = (a: Tensor, m: Tensor): Tensor => mul(exp(a), cast(m, 'f64'));
    const plain = gradientsOf(
      () =>
        sum(
          masked(
            x,
            tidy(() => index(2)),
          ),
        ),
      [x],
    );
    // The integer input is made in a scope that ends before the backward pass: the tape must keep it alive.
    const checkpointed = gradientsOf(() => sum(checkpoint(masked, [x, tidy(() => index(2))])), [x]);
    expect(checkpointed).toEqual(plain);
    x.dispose();
  });

  it('the forward keeps the block boundaries, not every intermediate: O(N) tensors instead of O(N·ops)', () => {
    const w = param([D, D], 20);
    const g = param([D], 21);
    const x = random([2, D], 22);
    /** Live tensors at the end of the forward of N blocks inside the differentiated function, less before it. */
    const heldAfterForward = (n: number, useCheckpoint: boolean): number => {
      let held = 0;
      const start = memory().numTensors;
      const result = grads(() => {
        let h = x;
        for (let i = 0; i < n; i++) {
          h = useCheckpoint ? checkpoint((a: Tensor) => block(a, w, g), [h]) : block(h, w, g);
        }
        held = memory().numTensors - start;
        return sum(h);
      }, [w, g]);
      dispose(result);
      expect(memory().numTensors).toBe(start);
      return held;
    };
    const opsPerBlock = heldAfterForward(2, false) - heldAfterForward(1, false);
    const perCheckpointedBlock = heldAfterForward(2, true) - heldAfterForward(1, true);
    expect(opsPerBlock).toBeGreaterThanOrEqual(7);
    expect(perCheckpointedBlock).toBe(1); // only the block's output
    expect(heldAfterForward(8, true)).toBe(8);
    expect(heldAfterForward(8, false)).toBe(8 * opsPerBlock);
    dispose([w, g, x]);
  });

  it('refuses a backward pass after a captured Variable was assigned, and leaks nothing', () => {
    const x = random([2, D], 23);
    const w = param([D, D], 24, 'layer.w');
    const g = param([D], 25);
    const replacement = random([D, D], 26);
    expect(() =>
      grads(() => {
        const y = sum(checkpoint((a: Tensor) => block(a, w, g), [x]));
        (w as Variable).assign(replacement);
        return y;
      }, [w]),
    ).toThrow(/variable 'layer\.w' was assigned between the forward and the backward pass/);
    dispose([x, w, g, replacement]);
  });

  it('refuses a function that returns no tensor', () => {
    const x = random([2, D], 27);
    expect(() => grads(() => sum(checkpoint((_: Tensor) => [] as Tensor[], [x])[0]!), [x])).toThrow(
      /fn must return a tensor or a non-empty array of tensors/,
    );
    x.dispose();
  });
});
