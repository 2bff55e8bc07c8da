/**
 * The backend's own behaviour on whatever adapter this machine has (lavapipe in CI): storage forms of every
 * dtype, the buffer pool, dispatch grids beyond maxComputeWorkgroupsPerDimension, the binding-size limit, the
 * large GEMM tile (the conformance cases are too small to reach it), errors that name the problem. The kernels'
 * numerics are certified by the conformance suite (tests/conformance).
 */
import { type Backend, type TensorInfo, useBackend } from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGPUBackend, isAvailable, type WebGPUBackend } from '../src/base.js';
import { attention } from '../src/kernels/Attention.js';
import { matMul } from '../src/kernels/MatMul.js';

const probe = await isAvailable();

/** A DataId of this backend (GpuData), for the buffer behind it. */
type DataIdWithBuffer = { buffer: GPUBuffer };
const required = (process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').includes('webgpu');
if (!probe.available) console.warn(`\n*** webgpu backend UNAVAILABLE here: ${probe.reason}\n`);

describe.runIf(!probe.available && required)('webgpu required', () => {
  it('has an adapter (FALCON_REQUIRE_BACKENDS=webgpu)', () => {
    throw new Error(probe.reason);
  });
});

describe.runIf(probe.available)('WebGPUBackend', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  afterAll(() => b?.dispose());

  const info = (dataId: object, shape: number[], dtype: TensorInfo['dtype']): TensorInfo => ({ dataId, shape, dtype });

  /**
   * A decode step's x·Wᵀ (≤ 32 rows) through the matrix-vector kernel `program` against a float64 product. K = 300:
   * 16-byte loads, whole unrolled iterations then a tail; K = 301: one element per load. N = 77: not a multiple of
   * the outputs per workgroup. 16 and 32 rows: split over the grid's z in tiles of 8.
   */
  async function checkMatVec(be: WebGPUBackend, program: string): Promise<void> {
    const n = 77;
    for (const k of [300, 301]) {
      const w = Float32Array.from({ length: n * k }, (_, i) => Math.cos(i * 0.37) / 2);
      const tw = info(be.write(w, [n, k], 'f32'), [n, k], 'f32');
      for (const shape of [
        [1, k],
        [1, 1, k],
        [3, 1, k],
        [8, k],
        [16, k],
        [32, k],
      ]) {
        const rows = shape.slice(0, -1).reduce((p, q) => p * q, 1);
        const x = Float32Array.from({ length: rows * k }, (_, i) => Math.sin(i * 0.11 + rows));
        const want = new Float64Array(rows * n);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += x[r * k + p]! * w[j * k + p]!;
            want[r * n + j] = s;
          }
        const tx = info(be.write(x, shape, 'f32'), shape, 'f32');
        const before = be.stats().pipelinesCreated;
        let c: TensorInfo | undefined;
        const programs = be.countDispatches(() => {
          c = matMul(be, { a: tx, b: tw }, { transposeA: false, transposeB: true });
        });
        expect(programs).toEqual({ [program]: 1 });
        expect(c!.shape).toEqual([...shape.slice(0, -1), n]);
        const got = (await be.read(c!)) as Float32Array;
        let d2 = 0;
        let w2 = 0;
        for (let i = 0; i < got.length; i++) {
          d2 += (got[i]! - want[i]!) ** 2;
          w2 += want[i]! ** 2;
        }
        expect(Math.sqrt(d2 / w2), `K ${k}, rows ${rows}: relative L2`).toBeLessThan(1e-6);
        expect(be.stats().pipelinesCreated - before).toBeLessThanOrEqual(1);
        be.disposeData(c!.dataId);
        be.disposeData(tx.dataId);
      }
      be.disposeData(tw.dataId);
    }
  }

  it('describes its device and capabilities', () => {
    expect(b.device).toMatch(/^WebGPU /);
    expect(b.capabilities.dtypes).toEqual(expect.arrayContaining(['f32', 'i32', 'u8']));
    expect(b.capabilities.syncReadback).toBe(false);
    expect(b.capabilities.maxBufferBytes).toBeGreaterThan(0);
  });

  it('round-trips every dtype in storage form, odd lengths included', async () => {
    const cases: Array<[TensorInfo['dtype'], ArrayLike<number>]> = [
      ['f32', new Float32Array([1.5, -2, 3.25])],
      ['i32', new Int32Array([7, -8, 2147483647, -2147483648, 0])],
      ['u8', new Uint8Array([0, 1, 255, 17, 3])],
    ];
    if (b.hasF16) cases.push(['f16', new Uint16Array([0x3c00, 0xc000, 0x7bff])]);
    for (const [dtype, values] of cases) {
      const id = b.write(values as never, [values.length], dtype);
      const back = await b.read(info(id, [values.length], dtype));
      expect(Array.from(back as ArrayLike<number>)).toEqual(Array.from(values));
      b.disposeData(id);
    }
  });

  it('reuses freed buffers and counts live ones', async () => {
    const before = b.memory();
    const a = b.write(new Float32Array(1000), [1000], 'f32');
    expect(b.memory().buffers).toBe(before.buffers + 1);
    const buffer = (a as { buffer: GPUBuffer }).buffer;
    b.disposeData(a);
    await b.synchronize();
    const c = b.write(new Float32Array(1000), [1000], 'f32');
    expect((c as { buffer: GPUBuffer }).buffer).toBe(buffer);
    b.disposeData(c);
    expect(b.memory()).toEqual(before);
    expect(() => b.disposeData(c)).toThrow(/double free/);
  });

  it('hands out free buffers oldest first, whatever order they were freed in (stable decode steps)', async () => {
    // An odd size: a bucket no other test uses.
    const n = 12_345;
    const take = (): DataIdWithBuffer[] => [0, 1, 2].map(() => b.write(new Float32Array(n), [n], 'f32') as never);
    const first = take();
    const buffers = first.map((d) => d.buffer);
    for (const d of [first[1]!, first[2]!, first[0]!]) b.disposeData(d);
    await b.synchronize();
    const second = take();
    expect(second.map((d) => d.buffer)).toEqual(buffers);
    for (const d of [second[2]!, second[0]!, second[1]!]) b.disposeData(d);
    await b.synchronize();
    const third = take();
    expect(third.map((d) => d.buffer)).toEqual(buffers);
    for (const d of third) b.disposeData(d);
  });

  it('spreads a grid beyond maxComputeWorkgroupsPerDimension over two dimensions', async () => {
    const max = b.limits.maxComputeWorkgroupsPerDimension;
    expect(b.grid(max + 5)).toEqual([Math.ceil((max + 5) / 2), 2, 1]);
    // Sum over rows of [rows, 64]: one workgroup per row, more rows than one grid dimension holds.
    const rows = max + 1000;
    const values = new Float32Array(rows * 64);
    for (let r = 0; r < rows; r++) values[r * 64 + (r % 64)] = r % 1000;
    const x = info(b.write(values, [rows, 64], 'f32'), [rows, 64], 'f32');
    const sum = b.kernels.Sum({ x }, { axes: [1], keepDims: false });
    const got = (await b.read(sum)) as Float32Array;
    let bad = 0;
    for (let r = 0; r < rows; r++) if (got[r] !== r % 1000) bad++;
    expect(bad).toBe(0);
    b.disposeData(x.dataId);
    b.disposeData(sum.dataId);
  });

  it('refuses a buffer beyond the binding limit with a message naming it', () => {
    const elements = Math.floor(b.maxBindingBytes / 4) + 16;
    expect(() => b.alloc([elements], 'f32')).toThrow(/maxStorageBufferBindingSize/);
  });

  it('computes the large GEMM tile (8×8 per invocation) and the small one alike', async () => {
    const [m, k, n] = [70, 45, 90];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i) / 2);
    const bb = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.7) / 2);
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * bb[p * n + j]!;
        want[i * n + j] = s;
      }
    const ta = info(b.write(a, [m, k], 'f32'), [m, k], 'f32');
    const tb = info(b.write(bb, [k, n], 'f32'), [k, n], 'f32');
    for (const tile of [
      { tm: 8, tn: 8, bk: 8 },
      { tm: 4, tn: 4, bk: 16 },
    ]) {
      const c = matMul(b, { a: ta, b: tb }, { transposeA: false, transposeB: false }, tile);
      const got = (await b.read(c)) as Float32Array;
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
      expect(err).toBeLessThan(1e-5);
      b.disposeData(c.dataId);
    }
    b.disposeData(ta.dataId);
    b.disposeData(tb.dataId);
  });

  it("computes a decode step's x·Wᵀ (≤ 32 rows) with the matrix-vector kernel as a float64 product does", async () => {
    const withoutSubgroups = await createWebGPUBackend({ subgroups: false });
    try {
      await checkMatVec(withoutSubgroups, 'matvec');
    } finally {
      withoutSubgroups.dispose();
    }
  });

  it('computes the same with its subgroup form where the adapter offers one fixed subgroup size (the default)', async () => {
    const withSubgroups = await createWebGPUBackend({ subgroups: true });
    try {
      if (withSubgroups.subgroupSize === undefined) {
        // Not a pass of the subgroup form: this adapter has none to check (lavapipe offers size 8).
        console.warn(`no fixed-size subgroups on ${withSubgroups.device}: the subgroup matvec was not checked`);
        return;
      }
      await checkMatVec(withSubgroups, 'matvec_subgroups');
    } finally {
      withSubgroups.dispose();
    }
  });

  it('splits the keys of a decode step over workgroups, merging the splits of a long cache', () => {
    const [hkv, dh] = [2, 8];
    const q = info(b.write(new Float32Array(4 * dh), [1, 1, 4, dh], 'f32'), [1, 1, 4, dh], 'f32');
    // Up to 256 slots: one dispatch; beyond: partials per 256 slots, then the merge.
    for (const [s, want] of [
      [150, { attention_split: 1 }],
      [300, { attention_split: 1, attention_combine: 1 }],
    ] as const) {
      const kv = info(b.write(new Float32Array(s * hkv * dh), [1, s, hkv, dh], 'f32'), [1, s, hkv, dh], 'f32');
      let out: TensorInfo | undefined;
      const programs = b.countDispatches(() => {
        out = attention(b, { q, k: kv, v: kv }, { scale: 1, causal: true });
      });
      expect(programs, `${s} slots`).toEqual(want);
      b.disposeData(out!.dataId);
      b.disposeData(kv.dataId);
    }
    b.disposeData(q.dataId);
  });

  it("reuses a bind group for the same buffers, with each dispatch's own parameters", async () => {
    const x = info(b.write(Float32Array.from([1, 2, 3]), [3], 'f32'), [3], 'f32');
    const first = b.kernels.Scale({ x }, { scale: 2, shift: 0 });
    expect(Array.from((await b.read(first)) as Float32Array)).toEqual([2, 4, 6]);
    b.disposeData(first.dataId);
    // The pool hands the freed output buffer back: same pipeline, same buffers, the cached bind group.
    const before = b.stats();
    const second = b.kernels.Scale({ x }, { scale: 3, shift: 1 });
    const third = b.kernels.Scale({ x }, { scale: -1, shift: 0 });
    expect(Array.from((await b.read(second)) as Float32Array)).toEqual([4, 7, 10]);
    expect(Array.from((await b.read(third)) as Float32Array)).toEqual([-1, -2, -3]);
    expect(b.stats().bindGroupsCreated - before.bindGroupsCreated).toBe(1); // third's new output buffer
    for (const t of [second, third, x]) b.disposeData(t.dataId);
  });

  it('reports a misuse of a disposed buffer by name', () => {
    const id = b.write(new Float32Array(4), [4], 'f32');
    b.disposeData(id);
    expect(() => b.kernels.Neg({ x: info(id, [4], 'f32') }, {})).toThrow(/after it was disposed/);
  });

  it('works as the current backend of core ops', async () => {
    const core = await import('@falcon-h1/core-tensor');
    useBackend(b as Backend);
    const x = core.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const w = core.tensor([0.5, 1, 2], [3]);
    const y = core.rmsNorm(x, w, 1e-6);
    const got = await y.data();
    const rms0 = Math.sqrt((1 + 4 + 9) / 3 + 1e-6);
    expect(got[0]).toBeCloseTo(0.5 / rms0, 6);
    core.dispose([x, w, y]);
  });
});
