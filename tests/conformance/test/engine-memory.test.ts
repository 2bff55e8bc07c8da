/**
 * Engine memory rules and the backend registry, on the reference backend:
 *  - tidy disposes what it does not return (nested scopes, arrays/objects of results, keep());
 *  - reshape views share one reference-counted buffer, freed with the last view;
 *  - variables copy on creation and on assign; disposing twice is harmless; a disposed tensor fails loudly;
 *  - tensors of two backend instances never meet in one kernel;
 *  - a forward + backward pass through fused ops (native and composition paths) leaves no tensor or buffer alive,
 *    and tensors an inner tidy disposed while a tape held them live exactly until the backward pass is done;
 *  - setBackend/ready report unknown names and failing factories with their reasons.
 * The registry tests run last: they remove backends, which disposes their buffers.
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference';
import {
  add,
  attention,
  type Backend,
  crossEntropy,
  dispose,
  exp,
  getBackend,
  grads,
  keep,
  linear,
  listBackends,
  matmul,
  mean,
  memory,
  mul,
  ready,
  registerBackend,
  removeBackend,
  reshape,
  rmsNorm,
  setBackend,
  setFallbackPolicy,
  slice,
  softplus,
  split,
  ssmScan,
  sum,
  type Tensor,
  tensor,
  tidy,
  valueAndGrads,
  variable,
  vjp,
} from '@falcon-h1/core-tensor';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRng, randomArray } from '../src/random.js';

let backend: Backend;

/** Live tensors, engine buffers and the reference backend's own buffer count. */
function snapshot(): { tensors: number; buffers: number; backendBuffers: number } {
  const m = memory();
  return { tensors: m.numTensors, buffers: m.numBuffers, backendBuffers: backend.memory().buffers };
}

beforeAll(async () => {
  registerBackend('reference', createReferenceBackend, 1);
  backend = await setBackend('reference');
});

let start: ReturnType<typeof snapshot>;
const baseline = (): void => {
  start = snapshot();
};
afterEach(() => {
  setFallbackPolicy('none');
});

const values = (t: Tensor): number[] => [...(t.dataSync() as Float64Array)];

describe('tidy and keep', () => {
  it('disposes intermediates and keeps the returned tensor, which moves to the enclosing scope', () => {
    baseline();
    const x = tensor([1, 2, 3], [3], 'f64');
    let inner: Tensor | undefined;
    const y = tidy(() => {
      inner = exp(x);
      return add(inner, x);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(y.isDisposed).toBe(false);
    expect(x.isDisposed).toBe(false);
    expect(values(y)[0]).toBeCloseTo(Math.E + 1, 12);
    expect(snapshot().tensors).toBe(start.tensors + 2);
    // The result belongs to the outer scope: an enclosing tidy disposes it.
    let moved: Tensor | undefined;
    tidy(() => {
      moved = tidy(() => mul(x, x));
      expect(moved.isDisposed).toBe(false);
    });
    expect(moved!.isDisposed).toBe(true);
    dispose([x, y]);
    expect(snapshot()).toEqual(start);
  });

  it('nested tidy: each level disposes its own intermediates', () => {
    baseline();
    const x = tensor([0.5, -1], [2], 'f64');
    const made: Tensor[] = [];
    const out = tidy(() => {
      const a = exp(x);
      made.push(a);
      const b = tidy(() => {
        const c = mul(a, a);
        made.push(c);
        const d = add(c, x);
        made.push(d);
        return d;
      });
      expect(made[1]!.isDisposed).toBe(true); // c: inner intermediate
      expect(b.isDisposed).toBe(false);
      expect(a.isDisposed).toBe(false); // a belongs to the outer scope, still open
      return add(b, a);
    });
    expect(made.map((t) => t.isDisposed)).toEqual([true, true, true]);
    expect(out.isDisposed).toBe(false);
    dispose([x, out]);
    expect(snapshot()).toEqual(start);
  });

  it('keeps every tensor of a returned array, object, nested structure or Map', () => {
    baseline();
    const x = tensor([1, 2], [2], 'f64');
    const result = tidy(() => {
      const a = exp(x);
      const b = add(x, x);
      const c = mul(x, x);
      const d = add(a, b);
      exp(d); // dropped
      return { list: [a, b], nested: { c, deep: [[d]] }, map: new Map([['e', sum(x)]]) };
    });
    const kept = [...result.list, result.nested.c, result.nested.deep[0]![0]!, result.map.get('e')!];
    for (const t of kept) expect(t.isDisposed).toBe(false);
    expect(snapshot().tensors).toBe(start.tensors + 1 + kept.length);
    dispose(result);
    x.dispose();
    expect(snapshot()).toEqual(start);
  });

  it('keep() survives the scope; the kept tensor is the caller’s to dispose', () => {
    baseline();
    const x = tensor([3], [1], 'f64');
    let kept: Tensor | undefined;
    let dropped: Tensor | undefined;
    tidy(() => {
      kept = keep(exp(x));
      dropped = exp(x);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(dropped!.isDisposed).toBe(true);
    // Also through nested scopes.
    const inner = tidy(() => tidy(() => keep(mul(x, x))));
    expect(inner.isDisposed).toBe(false);
    dispose([kept, inner, x]);
    expect(snapshot()).toEqual(start);
  });

  it('disposes its scope when fn throws, and rejects async functions', () => {
    baseline();
    const x = tensor([1], [1], 'f64');
    let made: Tensor | undefined;
    expect(() =>
      tidy(() => {
        made = exp(x);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(made!.isDisposed).toBe(true);
    expect(() => tidy((async () => exp(x)) as unknown as () => Tensor)).toThrow(/async/);
    x.dispose();
    expect(snapshot()).toEqual(start);
  });
});

describe('buffers, views, variables and disposal', () => {
  it('reshape views share one buffer, freed only when the last view is disposed', () => {
    baseline();
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], 'f64');
    const v1 = reshape(x, [3, 2]);
    const v2 = reshape(v1, [6]);
    expect(v1.dataId).toBe(x.dataId);
    expect(v2.dataId).toBe(x.dataId);
    expect(snapshot()).toEqual({
      tensors: start.tensors + 3,
      buffers: start.buffers + 1,
      backendBuffers: start.backendBuffers + 1,
    });
    x.dispose();
    v2.dispose();
    expect(snapshot().backendBuffers).toBe(start.backendBuffers + 1);
    expect(values(v1)).toEqual([1, 2, 3, 4, 5, 6]);
    v1.dispose();
    expect(snapshot()).toEqual(start);
  });

  it('a variable copies its initial value and keeps its own buffer across assign', () => {
    baseline();
    const init = tensor([1, 2, 3], [3], 'f64');
    const v = variable(init, { name: 'w' });
    expect(v.dataId).not.toBe(init.dataId);
    expect(snapshot().backendBuffers).toBe(start.backendBuffers + 2);
    init.dispose();
    expect(values(v)).toEqual([1, 2, 3]);

    const next = tensor([4, 5, 6], [3], 'f64');
    const before = v.dataId;
    v.assign(next);
    expect(v.dataId).not.toBe(next.dataId);
    expect(v.dataId).not.toBe(before);
    expect(snapshot().backendBuffers).toBe(start.backendBuffers + 2); // the old buffer was freed
    next.dispose();
    expect(values(v)).toEqual([4, 5, 6]);

    // Assigning a view of the variable's own buffer keeps working.
    const self = reshape(v, [3]);
    v.assign(self);
    self.dispose();
    expect(values(v)).toEqual([4, 5, 6]);

    expect(() => v.assign(tensor([1, 2], [2], 'f64'))).toThrow(/cannot assign f64\[2\] to variable 'w' of f64\[3\]/);
    // Variables are not owned by scopes.
    const w = tidy(() => variable(exp(tensor([0], [1], 'f64'))));
    expect(w.isDisposed).toBe(false);
    dispose([v, w]);
    expect(snapshot().backendBuffers).toBe(start.backendBuffers + 1); // the rejected [2] tensor, still live
  });

  it('disposing twice is harmless', () => {
    const x = tensor([1, 2], [2], 'f64');
    const view = reshape(x, [1, 2]);
    baseline();
    x.dispose();
    x.dispose();
    view.dispose();
    view.dispose();
    dispose([x, view]);
    expect(snapshot().tensors).toBe(start.tensors - 2);
    expect(snapshot().backendBuffers).toBe(start.backendBuffers - 1);
  });

  it('using a disposed tensor throws a clear error', () => {
    const x = tensor([1, 2], [2], 'f64');
    const y = tensor([1, 2], [2], 'f64');
    x.dispose();
    expect(() => add(x, y)).toThrow(/Tensor\(f64\[2\] on reference\) was used after it was disposed/);
    expect(() => x.dataSync()).toThrow(/used after it was disposed/);
    expect(() => reshape(x, [2, 1])).toThrow(/used after it was disposed/);
    expect(() => variable(x)).toThrow(/used after it was disposed/);
    y.dispose();
  });

  it('tensors from two backend instances cannot meet in one kernel', async () => {
    registerBackend(
      'reference-b',
      () => {
        const other = createReferenceBackend();
        Object.defineProperty(other, 'name', { value: 'reference-b' });
        return other;
      },
      0,
    );
    const other = await setBackend('reference-b');
    const b = tensor([1, 2], [2], 'f64');
    await setBackend('reference');
    const a = tensor([3, 4], [2], 'f64');
    expect(b.backend).toBe(other);
    expect(a.backend).toBe(backend);
    expect(() => add(a, b)).toThrow(/Add: inputs live on different backends \('reference' and 'reference-b'\)/);
    expect(() => tidy(() => matmul(reshape(a, [1, 2]), reshape(b, [2, 1])))).toThrow(/different backends/);
    expect(memory().backends['reference-b']?.buffers).toBe(1);
    dispose([a, b]);
    expect(other.memory().buffers).toBe(0);
    removeBackend('reference-b');
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Autograd memory
// -----------------------------------------------------------------------------------------------------------------

interface Model {
  params: Tensor[];
  x: Tensor;
  labels: Tensor;
  seqIdx: Tensor;
}

function makeModel(): Model {
  const rng = createRng(99);
  const p = (shape: number[], lo = -0.5, hi = 0.5): Tensor =>
    tensor(
      randomArray(
        rng,
        shape.reduce((a, b) => a * b, 1),
        lo,
        hi,
      ),
      shape,
      'f64',
    );
  return {
    params: [p([8], 0.8, 1.2), p([12, 8]), p([2], -1, -0.3), p([5, 4])],
    x: p([1, 6, 8], -1, 1),
    labels: tensor([0, 3, -100, 4, 1, 2], [6], 'i32'),
    seqIdx: tensor([0, 0, 0, 1, 1, 1], [1, 6], 'i32'),
  };
}

/** rmsNorm → qkv → attention → ssmScan → linear → crossEntropy, the loss a scalar. */
function modelLoss(m: Model, [norm, wqkv, A, wout]: Tensor[]): Tensor {
  const h = rmsNorm(m.x, norm!, 1e-5);
  const qkv = linear(h, wqkv!); // [1, 6, 12]
  const [q, k, v] = split(qkv, [4, 4, 4], -1);
  const att = attention(reshape(q!, [1, 6, 2, 2]), reshape(k!, [1, 6, 2, 2]), reshape(v!, [1, 6, 2, 2]), {
    qSeqIdx: m.seqIdx,
    kSeqIdx: m.seqIdx,
  });
  const dt = softplus(sum(att, -1)); // [1, 6, 2]
  const Bm = reshape(slice(qkv, [0, 0, 0], [1, 6, 3]), [1, 6, 1, 3]);
  const Cm = reshape(slice(qkv, [0, 0, 6], [1, 6, 3]), [1, 6, 1, 3]);
  const { y } = ssmScan({ x: att, dt, A: A!, Bm, Cm, seqIdx: m.seqIdx }, { chunkSize: 4 });
  const logits = linear(reshape(y, [6, 4]), wout!); // [6, 5]
  return mean(crossEntropy(logits, m.labels));
}

describe.each([
  ['native', 'none'],
  ['composition', 'all'],
] as const)('autograd memory (%s fused path)', (_, policy) => {
  it('forward + backward inside tidy leaves zero extra live tensors and buffers', () => {
    setFallbackPolicy(policy);
    const m = makeModel();
    baseline();
    tidy(() => {
      const { value, grads: g } = valueAndGrads(() => modelLoss(m, m.params), m.params);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      for (const t of g) for (const v of values(t)) expect(Number.isFinite(v)).toBe(true);
    });
    expect(snapshot()).toEqual(start);
    // Outside any tidy, vjp frees everything but the value and the gradients.
    const { value, grads: g } = valueAndGrads(() => modelLoss(m, m.params), m.params);
    expect(snapshot().tensors).toBe(start.tensors + 1 + m.params.length);
    dispose([value, g]);
    expect(snapshot()).toEqual(start);
    // Repeated training-like steps do not accumulate anything.
    for (let step = 0; step < 3; step++) {
      tidy(() => {
        grads(() => modelLoss(m, m.params), m.params);
      });
    }
    expect(snapshot()).toEqual(start);
    dispose([m.params, m.x, m.labels, m.seqIdx]);
  });

  it('tensors an inner tidy disposes while the tape holds them survive until backward, then are freed', () => {
    setFallbackPolicy(policy);
    const x = tensor([0.3, -0.7, 1.1, 0.2, -0.4, 0.9], [1, 2, 3], 'f64');
    const w = tensor([1.2, 0.8, 1.0], [3], 'f64');
    baseline();
    let saved: Tensor[] = [];
    const { value, grads: g } = vjp(
      () => {
        const out = tidy(() => {
          const n = rmsNorm(x, w, 1e-6);
          const e = exp(n);
          saved = [n, e];
          return sum(mul(e, e));
        });
        // The inner scope has ended: n and e are out of scope but the tape still needs them.
        for (const t of saved) expect(t.isDisposed).toBe(false);
        return out;
      },
      [x, w],
      (v) => tensor([1], v.shape, 'f64'),
    );
    for (const t of saved) expect(t.isDisposed).toBe(true);
    expect(snapshot().tensors).toBe(start.tensors + 3);
    // The value matches Σ exp(2·rmsNorm(x)) written out in plain numbers.
    const xs = values(x);
    const ws = values(w);
    let expected = 0;
    for (const row of [xs.slice(0, 3), xs.slice(3)]) {
      const rms = Math.sqrt(row.reduce((a, b) => a + b * b, 0) / 3 + 1e-6);
      row.forEach((xi, i) => {
        expected += Math.exp((2 * ws[i]! * xi) / rms);
      });
    }
    expect(values(value)[0]).toBeCloseTo(expected, 10);
    expect(g.map((t) => t.shape)).toEqual([[1, 2, 3], [3]]);
    dispose([value, g]);
    expect(snapshot()).toEqual(start);
    dispose([x, w]);
  });

  it('a failing function inside vjp releases its tape and scope', () => {
    setFallbackPolicy(policy);
    const x = tensor([1, 2], [2], 'f64');
    baseline();
    expect(() =>
      vjp(
        () => {
          exp(x);
          throw new Error('model failed');
        },
        [x],
        x,
      ),
    ).toThrow('model failed');
    expect(snapshot()).toEqual(start);
    x.dispose();
  });
});

describe('gradient ownership', () => {
  it('every returned gradient is a distinct tensor the caller may dispose, never the caller’s own dy', () => {
    const a = tensor([1, 2], [2], 'f64');
    const b = tensor([3, 4], [2], 'f64');
    const dy = tensor([0.5, -1], [2], 'f64');
    baseline();
    // Add passes dy through unchanged to both operands.
    const { value, grads: g } = vjp(() => add(a, b), [a, b], dy);
    expect(g[0]).not.toBe(g[1]);
    expect(g[0]).not.toBe(dy);
    expect(g[1]).not.toBe(dy);
    dy.dispose();
    g[0]!.dispose();
    expect(values(g[1]!)).toEqual([0.5, -1]);
    dispose([value, g]);
    expect(snapshot().tensors).toBe(start.tensors - 1);
    // The same tensor listed twice gets two gradients.
    const [t1, t2] = grads(() => sum(mul(a, a)), [a, a]);
    expect(t1).not.toBe(t2);
    t1!.dispose();
    expect(values(t2!)).toEqual([2, 4]);
    t2!.dispose();
    // Variables are differentiable inputs like any tensor.
    const v = variable(a);
    const [gv] = grads(() => sum(mul(v, b)), [v]);
    expect(values(gv!)).toEqual([3, 4]);
    dispose([v, gv]);
    // grads() of a function returning its input does not dispose the input.
    const [gx] = grads(() => sum(a), [a]);
    const [gy] = grads(() => a, [a]);
    expect(a.isDisposed).toBe(false);
    dispose([gx, gy, a, b]);
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Backend registry (last: it removes backends)
// -----------------------------------------------------------------------------------------------------------------

describe('backend registry', () => {
  it('setBackend of an unknown name lists the registered backends', async () => {
    await expect(setBackend('nope')).rejects.toThrow(/no backend named 'nope' is registered \(registered: .*reference/);
  });

  it('a factory that throws gives an error naming the backend and the reason', async () => {
    registerBackend('broken', () => {
      throw new Error('no adapter found');
    });
    await expect(setBackend('broken')).rejects.toThrow("backend 'broken' failed to start: no adapter found");
    registerBackend('broken-async', async () => {
      throw new Error('device lost');
    });
    await expect(setBackend('broken-async')).rejects.toThrow("backend 'broken-async' failed to start: device lost");
    removeBackend('broken');
    removeBackend('broken-async');
    // The current backend is unchanged.
    expect(getBackend()).toBe(backend);
  });

  it('ready() falls back by priority past failing backends, and lists every failure when none starts', async () => {
    for (const name of listBackends()) removeBackend(name);
    expect(() => getBackend()).toThrow(/no backend is set.*registered: none/);
    registerBackend(
      'gpu',
      () => {
        throw new Error('WebGPU is not available');
      },
      30,
    );
    registerBackend(
      'native',
      async () => {
        throw new Error('addon not built');
      },
      20,
    );
    registerBackend('reference', createReferenceBackend, 10);
    expect(listBackends()).toEqual(['gpu', 'native', 'reference']);
    const started = await ready();
    expect(started.name).toBe('reference');
    expect(getBackend()).toBe(started);
    // Each failing backend was tried, and remembers why.
    await expect(setBackend('gpu')).rejects.toThrow("backend 'gpu' failed to start: WebGPU is not available");

    removeBackend('reference');
    await expect(ready()).rejects.toThrow(
      /no backend could start:\n {2}backend 'gpu' failed to start: WebGPU is not available\n {2}backend 'native' failed to start: addon not built/,
    );
    removeBackend('gpu');
    removeBackend('native');
    await expect(ready()).rejects.toThrow(/none registered/);
  });
});
