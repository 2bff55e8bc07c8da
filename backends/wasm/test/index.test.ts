/**
 * backend-wasm's own tests (the conformance suite certifies every kernel against the reference; see
 * tests/conformance): module entry points, both builds, buffers and the memory rules, 16-bit storage, errors
 * that name the problem, and build selection.
 */
import {
  attention,
  type Backend,
  linear,
  memory,
  reshape,
  rmsNorm,
  slice,
  ssmScan,
  sum,
  tensor,
  useBackend,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import * as base from '../src/base.js';
import * as m from '../src/index.js';

const backends: Backend[] = [];
afterAll(() => {
  for (const b of backends) b.dispose?.();
});

async function start(build: 'simd' | 'threads'): Promise<base.WasmBackend> {
  const backend = await base.createWasmBackend({ build, threads: 2 });
  backends.push(backend);
  return backend;
}

function random(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('@falcon-h1/backend-wasm (module)', () => {
  it('names itself and is a core-tensor BackendModule', () => {
    expect(m.PACKAGE_NAME).toBe('@falcon-h1/backend-wasm');
    expect(m.backendName).toBe('wasm');
    expect(typeof m.createBackend).toBe('function');
  });

  it('reports itself available here, with the build it would pick', async () => {
    const probe = await m.isAvailable();
    expect(probe.available).toBe(true);
    if (probe.available) expect(['simd', 'threads']).toContain(probe.build);
  });

  it('falls back to the single-threaded build on a page that is not cross-origin isolated', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      const choice = await base.chooseBuild({});
      expect(choice.build).toBe('simd');
      expect(choice.note).toContain('cross-origin isolated');
      await expect(base.chooseBuild({ build: 'threads' })).rejects.toThrow('not cross-origin isolated');
    } finally {
      delete g.crossOriginIsolated;
    }
  });

  it('rejects unknown builds and thread counts with a clear message', async () => {
    await expect(base.chooseBuild({ build: 'gpu' as 'simd' })).rejects.toThrow("unknown wasm build 'gpu'");
    await expect(base.chooseBuild({ build: 'threads', threads: 0 })).rejects.toThrow('from 1 to 64');
  });
});

for (const build of ['simd', 'threads'] as const) {
  describe(`backend-wasm ${build} build`, () => {
    it('starts and says which build and how many threads', async () => {
      const backend = await start(build);
      expect(backend.build).toBe(build);
      expect(backend.threads).toBe(build === 'threads' ? 2 : 1);
      expect(backend.device).toContain(build === 'threads' ? '2 threads' : 'single-threaded');
      expect(backend.capabilities.dtypes).toEqual(['f32', 'bf16', 'f16', 'i32', 'u8']);
    });

    it('keeps tensors in the heap and frees them exactly once', async () => {
      const backend = await start(build);
      const id = backend.write(new Float32Array([1, 2, 3]), [3], 'f32');
      expect(backend.memory()).toEqual({ buffers: 1, bytes: 12 });
      expect(backend.readSync({ dataId: id, shape: [3], dtype: 'f32' })).toEqual(new Float32Array([1, 2, 3]));
      backend.disposeData(id);
      expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
      expect(() => backend.disposeData(id)).toThrow('double free');
      expect(() => backend.readSync({ dataId: id, shape: [3], dtype: 'f32' })).toThrow('already disposed');
    });

    it('stores bf16 and f16 exactly (converted on load, narrowed on read)', async () => {
      const backend = await start(build);
      const samples = {
        bf16: new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001, 0x7fc0, 0x8000]), // 1, −2, +inf, subnormal, NaN, −0
        f16: new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff, 0x8000]), // 1, −2, +inf, subnormal, max, −0
      };
      for (const dtype of ['bf16', 'f16'] as const) {
        const bits = samples[dtype];
        const id = backend.write(bits, [6], dtype);
        const back = backend.readSync({ dataId: id, shape: [6], dtype });
        expect(Array.from(back as Uint16Array)).toEqual(Array.from(bits));
        backend.disposeData(id);
      }
    });

    it('a forward + backward through linear, RMSNorm, the SSD scan and attention leaves no tensor or buffer alive', async () => {
      const backend = await start(build);
      useBackend(backend);
      const x = tensor(random(2 * 9 * 16, 1), [2, 9, 16]);
      const w = tensor(random(16 * 16, 2), [16, 16]);
      const g = tensor(random(16, 3), [16]);
      const before = { tensors: memory().numTensors, buffers: backend.memory().buffers };
      const { value, grads } = valueAndGrads(() => {
        const h = rmsNorm(linear(x, w), g, 1e-5);
        const q = reshape(h, [2, 9, 4, 4]);
        const a = attention(q, q, q, { causal: true, scale: 0.5 });
        const dt = tensor(
          random(2 * 9 * 2, 4).map((v) => 0.1 + 0.05 * v),
          [2, 9, 2],
        );
        const A = tensor([-0.5, -1.5], [2]);
        const Bm = slice(q, [0, 0, 0, 0], [2, 9, 1, 4]);
        const Cm = slice(q, [0, 0, 1, 0], [2, 9, 1, 4]);
        const { y } = ssmScan({ x: reshape(a, [2, 9, 2, 8]), dt, A, Bm, Cm }, { chunkSize: 4 });
        return sum(y);
      }, [x, w, g]);
      expect(Number.isFinite((await value.data())[0]!)).toBe(true);
      expect(grads.map((t) => t.shape)).toEqual([[2, 9, 16], [16, 16], [16]]);
      value.dispose();
      for (const t of grads) t.dispose();
      expect({ tensors: memory().numTensors, buffers: backend.memory().buffers }).toEqual(before);
      x.dispose();
      w.dispose();
      g.dispose();
      expect(backend.memory().buffers).toBe(0);
    });

    it('reports an out-of-range index naming it, and frees the output it had allocated', async () => {
      const backend = await start(build);
      const table = backend.write(new Float32Array(6), [3, 2], 'f32');
      const ids = backend.write(new Int32Array([0, 7]), [2], 'i32');
      expect(() =>
        backend.kernels.Gather(
          { table: { dataId: table, shape: [3, 2], dtype: 'f32' }, indices: { dataId: ids, shape: [2], dtype: 'i32' } },
          {},
        ),
      ).toThrow('Gather: index 7 at position 1 is out of range [0, 3)');
      expect(backend.memory().buffers).toBe(2);
      backend.disposeData(table);
      backend.disposeData(ids);
    });

    it('multiplies large matrices like a plain triple loop (GEMM edges, both transposes)', async () => {
      const backend = await start(build);
      const [M, N, K] = [67, 45, 300];
      const a = random(M * K, 5);
      const b = random(K * N, 6);
      const want = new Float64Array(M * N);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) want[i * N + j]! += a[i * K + k]! * b[k * N + j]!;
      const bT = new Float32Array(N * K);
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bT[j * K + k] = b[k * N + j]!;
      const ia = { dataId: backend.write(new Float32Array(a), [M, K], 'f32'), shape: [M, K], dtype: 'f32' as const };
      const ib = { dataId: backend.write(new Float32Array(b), [K, N], 'f32'), shape: [K, N], dtype: 'f32' as const };
      const ibT = { dataId: backend.write(bT, [N, K], 'f32'), shape: [N, K], dtype: 'f32' as const };
      for (const [rhs, transposeB] of [
        [ib, false],
        [ibT, true],
      ] as const) {
        const out = backend.kernels.MatMul({ a: ia, b: rhs }, { transposeA: false, transposeB });
        const got = backend.readSync(out) as Float32Array;
        let err = 0;
        let norm = 0;
        for (let i = 0; i < M * N; i++) {
          err += (got[i]! - want[i]!) ** 2;
          norm += want[i]! ** 2;
        }
        expect(Math.sqrt(err / norm)).toBeLessThan(1e-6);
        backend.disposeData(out.dataId);
      }
      for (const t of [ia, ib, ibT]) backend.disposeData(t.dataId);
    });
  });
}
