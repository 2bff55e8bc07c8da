/**
 * The fused decode kernels (SsmDecodeStep, AttentionDecodeStep) on whatever adapter this machine has (lavapipe in
 * CI): how many dispatches each takes (the reason they exist: a WebGPU decode step is bound by encoding per
 * dispatch), and AttentionDecodeStep's element-wise key path (head dim not a multiple of 4: the conformance cases'
 * head dims all are) against a float64 host computation, and SsmDecodeStep's two-dispatch form for devices with few
 * storage buffers against its one-dispatch form; SsmDecodeStepInPlace (at an offset of a wider row, both forms) and
 * AttentionDecodeStep's offset and prefix (direct and split) against the plain kernels. Their numerics are otherwise certified by the conformance suite
 * (tests/conformance), natively and through their compositions; FALCON_WEBGPU_DEFAULT_LIMITS=1 runs it with the
 * low-limit forms.
 */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGPUBackend, isAvailable, type WebGPUBackend } from '../src/base.js';
import { attentionDecodeStep } from '../src/kernels/AttentionDecodeStep.js';
import { ssmDecodeStep, ssmDecodeStepInPlace } from '../src/kernels/SsmDecodeStep.js';
import { relL2, values } from './float-checks.js';

const probe = await isAvailable();

describe.runIf(probe.available)('WebGPU fused decode kernels', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  afterAll(() => b?.dispose());
  const made: TensorInfo[] = [];
  const upload = (data: Float32Array | Int32Array, shape: number[]): TensorInfo => {
    const dtype = data instanceof Float32Array ? 'f32' : 'i32';
    const t: TensorInfo = { dataId: b.write(data, shape, dtype), shape, dtype };
    made.push(t);
    return t;
  };
  const zeros = (shape: number[], dtype: 'f32' | 'i32' = 'f32'): TensorInfo => {
    const n = shape.reduce((p, q) => p * q, 1);
    return upload(dtype === 'f32' ? new Float32Array(n) : new Int32Array(n), shape);
  };
  afterAll(() => {
    for (const t of made) b.disposeData(t.dataId);
  });

  it('runs each in one dispatch (a cache beyond 256 slots: the split pass and the merge)', () => {
    // SsmDecodeStep: H = 4, P = 3, G = 2, N = 5, K = 4 (convDim = 12 + 20).
    const ssm = b.countDispatches(() => {
      const out = ssmDecodeStep(
        b,
        {
          zxbcdt: zeros([1, 12 + 32 + 4]),
          convState: zeros([1, 32, 4]),
          convWeight: zeros([32, 4]),
          ssmState: zeros([1, 4, 3, 5]),
          dtBias: zeros([4]),
          A: zeros([4]),
        },
        { activation: 'silu', gate: 'silu', dtMin: 0, dtMax: Number.POSITIVE_INFINITY },
      );
      made.push(out.y, out.convState, out.ssmState);
    });
    expect(ssm).toEqual({ ssm_decode_step: 1 });
    const [hq, hkv, dh] = [4, 2, 8];
    for (const [len, want] of [
      [150, { attention_decode_step: 1 }],
      [300, { attention_decode_step: 1, attention_combine: 1 }],
    ] as const) {
      const programs = b.countDispatches(() => {
        const out = attentionDecodeStep(
          b,
          {
            qkv: zeros([1, (hq + 2 * hkv) * dh]),
            positions: zeros([1], 'i32'),
            keys: zeros([1, len, hkv, dh]),
            values: zeros([1, len, hkv, dh]),
            slots: zeros([1], 'i32'),
            qSeqIdx: zeros([1], 'i32'),
            kSeqIdx: zeros([1, len], 'i32'),
          },
          { heads: hq, kvHeads: hkv, theta: 1e4, scale: 1, offset: 0 },
        );
        made.push(out);
      });
      expect(programs, `${len} slots`).toEqual(want);
    }
  });

  it.runIf(b?.capabilities.dtypes.includes('f16'))(
    'leaves a 16-bit SSM state to core (the shaders keep the state in f32), saying why',
    () => {
      // H = 4, P = 3, G = 2, N = 5, K = 4 (convDim = 12 + 20); f16 activations.
      const f16 = (shape: number[]): TensorInfo => {
        const t: TensorInfo = {
          dataId: b.write(new Uint16Array(shape.reduce((p, q) => p * q, 1)), shape, 'f16'),
          shape,
          dtype: 'f16',
        };
        made.push(t);
        return t;
      };
      const step = (ssmState: TensorInfo) => ({
        zxbcdt: f16([1, 12 + 32 + 4]),
        convState: f16([1, 32, 4]),
        convWeight: f16([32, 4]),
        ssmState,
        dtBias: zeros([4]),
        A: zeros([4]),
      });
      const attrs = { activation: 'silu', gate: 'silu', dtMin: 0, dtMax: Number.POSITIVE_INFINITY } as const;
      const sixteen = step(f16([1, 4, 3, 5]));
      expect(b.supportsKernel('SsmDecodeStep', sixteen, attrs)).toBe(
        'SsmDecodeStep: a 16-bit ssmState (f16): the shaders keep the state in f32',
      );
      expect(b.supportsKernel('SsmDecodeStepInPlace', sixteen, { ...attrs, offset: 0 })).toMatch(
        /^SsmDecodeStepInPlace: a 16-bit ssmState \(f16\)/,
      );
      expect(b.supportsKernel('SsmDecodeStep', step(zeros([1, 4, 3, 5])), attrs)).toBe(true);
    },
  );

  it('runs SsmDecodeStep in two dispatches where the device binds fewer than 11 storage buffers, computing the same', async () => {
    // WebGPU's default limits (8 storage buffers per stage) on the same adapter: the conv half, then the SSM half.
    const low = await createWebGPUBackend({ defaultLimits: true });
    try {
      expect(low.limits.maxStorageBuffersPerShaderStage).toBeLessThan(11);
      // B = 2, H = 4, P = 10 (two tiles), G = 2, N = 5, K = 4 (convDim = 40 + 20), the conv bias, D, a dt clamp.
      const [B, H, Pd, G, N, K] = [2, 4, 10, 2, 5, 4];
      const convDim = H * Pd + 2 * G * N;
      const shapes: Record<string, number[]> = {
        zxbcdt: [B, H * Pd + convDim + H],
        convState: [B, convDim, K],
        convWeight: [convDim, K],
        convBias: [convDim],
        ssmState: [B, H, Pd, N],
        dtBias: [H],
        A: [H],
        D: [H],
      };
      const data = Object.fromEntries(
        Object.entries(shapes).map(([name, shape], i) => {
          const v = values(
            shape.reduce((p, q) => p * q, 1),
            11 + i,
          );
          // A negative, as −exp(A_log) is.
          if (name === 'A') for (let j = 0; j < v.length; j++) v[j] = -0.5 - Math.abs(v[j]!);
          return [name, v];
        }),
      );
      const attrs = { activation: 'silu', gate: 'silu', dtMin: 0.05, dtMax: 1.5 } as const;
      const outputs = [];
      for (const [be, want] of [
        [b, { ssm_decode_step: 1 }],
        [low, { ssm_decode_conv: 1, ssm_decode_scan: 1 }],
      ] as const) {
        const ins = Object.fromEntries(
          Object.entries(shapes).map(([name, shape]) => [
            name,
            { dataId: be.write(data[name]!, shape, 'f32'), shape, dtype: 'f32' } as TensorInfo,
          ]),
        ) as unknown as Parameters<typeof ssmDecodeStep>[1];
        let out: ReturnType<typeof ssmDecodeStep> | undefined;
        expect(be.countDispatches(() => (out = ssmDecodeStep(be, ins, attrs)))).toEqual(want);
        outputs.push(await Promise.all([out!.y, out!.convState, out!.ssmState].map((t) => be.read(t))));
        for (const t of [...Object.values(ins), out!.y, out!.convState, out!.ssmState]) be.disposeData(t.dataId);
      }
      const [one, two] = outputs as [Float32Array[], Float32Array[]];
      for (let i = 0; i < 3; i++)
        expect(relL2(two[i]!, one[i]!), ['y', 'convState', 'ssmState'][i]).toBeLessThanOrEqual(1e-6);
    } finally {
      low.dispose();
    }
  });

  it('ropes, writes the cache in place and attends with a head dim of 6 as float64 does', async () => {
    // Row 0 writes slot 1 and sees slots 0, 1, 3 and 4 (its document 0); row 1's slot 5 is outside the cache (no
    // write) and it sees slots 0, 1, 2 and 4.
    const [B, L, Hq, Hkv, Dh, theta, scale] = [2, 5, 4, 2, 6, 1e4, 0.37];
    const width = (Hq + 2 * Hkv) * Dh;
    const qkv = values(B * width, 3);
    const keys = values(B * L * Hkv * Dh, 5);
    const vals = values(B * L * Hkv * Dh, 7);
    const positions = [3, 7];
    const slots = [1, 5];
    const qSeq = [0, 1];
    const kSeq = [0, 0, -1, 0, 0, 1, 1, 1, 0, 1];
    const tk = upload(keys, [B, L, Hkv, Dh]);
    const tv = upload(vals, [B, L, Hkv, Dh]);
    const out = attentionDecodeStep(
      b,
      {
        qkv: upload(qkv, [B, width]),
        positions: upload(Int32Array.from(positions), [B]),
        keys: tk,
        values: tv,
        slots: upload(Int32Array.from(slots), [B]),
        qSeqIdx: upload(Int32Array.from(qSeq), [B]),
        kSeqIdx: upload(Int32Array.from(kSeq), [B, L]),
      },
      { heads: Hq, kvHeads: Hkv, theta, scale, offset: 0 },
    );
    made.push(out);

    // float64: the Rope contract's f32 inverse frequencies and angle, the rest in f64.
    const f32 = Math.fround;
    const half = Dh / 2;
    const rope = (x: ArrayLike<number>, pos: number): number[] => {
      const y = new Array<number>(Dh);
      for (let i = 0; i < half; i++) {
        const angle = f32(pos * f32(1 / f32(f32(theta) ** f32((2 * i) / Dh))));
        const [c, s] = [Math.cos(angle), Math.sin(angle)];
        y[i] = x[i]! * c - x[i + half]! * s;
        y[i + half] = x[i + half]! * c + x[i]! * s;
      }
      return y;
    };
    const wantKeys = Float64Array.from(keys);
    const wantValues = Float64Array.from(vals);
    for (let r = 0; r < B; r++) {
      if (slots[r]! < 0 || slots[r]! >= L) continue;
      for (let g = 0; g < Hkv; g++) {
        const at = ((r * L + slots[r]!) * Hkv + g) * Dh;
        const k = qkv.subarray(r * width + (Hq + g) * Dh, r * width + (Hq + g + 1) * Dh);
        wantKeys.set(rope(k, positions[r]!), at);
        wantValues.set(qkv.subarray(r * width + (Hq + Hkv + g) * Dh, r * width + (Hq + Hkv + g + 1) * Dh), at);
      }
    }
    const wantOut = new Float64Array(B * Hq * Dh);
    for (let r = 0; r < B; r++) {
      for (let h = 0; h < Hq; h++) {
        const g = Math.floor(h / (Hq / Hkv));
        const q = rope(qkv.subarray(r * width + h * Dh, r * width + (h + 1) * Dh), positions[r]!);
        const scores: number[] = [];
        for (let j = 0; j < L; j++) {
          if (kSeq[r * L + j] !== qSeq[r]) continue;
          let s = 0;
          for (let d = 0; d < Dh; d++) s += q[d]! * wantKeys[((r * L + j) * Hkv + g) * Dh + d]!;
          scores.push(s * scale, j);
        }
        const m = Math.max(...scores.filter((_, i) => i % 2 === 0));
        let l = 0;
        for (let i = 0; i < scores.length; i += 2) l += Math.exp(scores[i]! - m);
        for (let i = 0; i < scores.length; i += 2) {
          const p = Math.exp(scores[i]! - m) / l;
          const j = scores[i + 1]!;
          for (let d = 0; d < Dh; d++)
            wantOut[(r * Hq + h) * Dh + d]! += p * wantValues[((r * L + j) * Hkv + g) * Dh + d]!;
        }
      }
    }
    expect(relL2((await b.read(out)) as Float32Array, wantOut), 'output').toBeLessThanOrEqual(1e-5);
    expect(relL2((await b.read(tk)) as Float32Array, wantKeys), 'keys').toBeLessThanOrEqual(1e-6);
    expect(relL2((await b.read(tv)) as Float32Array, wantValues), 'values').toBe(0);
  });

  it('runs SsmDecodeStepInPlace at an offset of a wider row into its states, as SsmDecodeStep does on the columns', async () => {
    const low = await createWebGPUBackend({ defaultLimits: true });
    try {
      // B = 3, H = 4, P = 10 (two tiles), G = 2, N = 5, K = 3; the step's 67 columns at 9 of a row of 80.
      const [B, H, Pd, G, N, K, offset] = [3, 4, 10, 2, 5, 3, 9];
      const convDim = H * Pd + 2 * G * N;
      const step = H * Pd + convDim + H;
      const wide = offset + step + 4;
      const row = values(B * wide, 31);
      const columns = new Float32Array(B * step);
      for (let r = 0; r < B; r++) columns.set(row.subarray(r * wide + offset, r * wide + offset + step), r * step);
      const a = values(H, 36).map((v) => -0.5 - Math.abs(v));
      const attrs = { activation: 'silu', gate: 'none', dtMin: 0.05, dtMax: 1.5 } as const;
      for (const [be, want] of [
        [b, { ssm_decode_step: 1 }],
        [low, { ssm_decode_conv: 1, ssm_decode_scan: 1 }],
      ] as const) {
        const before = be.memory().buffers;
        const put = (data: Float32Array, shape: number[]): TensorInfo => ({
          dataId: be.write(data, shape, 'f32'),
          shape,
          dtype: 'f32',
        });
        const shared = {
          convWeight: put(values(convDim * K, 33), [convDim, K]),
          convBias: put(values(convDim, 34), [convDim]),
          dtBias: put(values(H, 35), [H]),
          A: put(a, [H]),
          D: put(values(H, 37), [H]),
        };
        const convState = values(B * convDim * K, 32);
        const ssmState = values(B * H * Pd * N, 38);
        const plainStates = {
          zxbcdt: put(columns, [B, step]),
          convState: put(convState, [B, convDim, K]),
          ssmState: put(ssmState, [B, H, Pd, N]),
        };
        const plain = ssmDecodeStep(be, { ...shared, ...plainStates }, attrs);
        const ins = {
          ...shared,
          zxbcdt: put(row, [B, wide]),
          convState: put(convState, [B, convDim, K]),
          ssmState: put(ssmState, [B, H, Pd, N]),
        };
        let y: TensorInfo | undefined;
        expect(be.countDispatches(() => (y = ssmDecodeStepInPlace(be, ins, { ...attrs, offset })))).toEqual(want);
        const read = (ts: TensorInfo[]) => Promise.all(ts.map((t) => be.read(t) as Promise<Float32Array>));
        const [gotY, gotConv, gotState] = await read([y!, ins.convState, ins.ssmState]);
        const [wantY, wantConv, wantState] = await read([plain.y, plain.convState, plain.ssmState]);
        expect([...gotY!], 'y').toEqual([...wantY!]);
        expect([...gotConv!], 'convState').toEqual([...wantConv!]);
        expect([...gotState!], 'ssmState').toEqual([...wantState!]);
        for (const t of [...Object.values(ins), ...Object.values(plainStates), y!, ...Object.values(plain)]) {
          be.disposeData(t.dataId);
        }
        expect(be.memory().buffers, 'the temporaries are freed').toBe(before);
      }
    } finally {
      low.dispose();
    }
  });

  it('reads q|k|v at an offset and writes [prefix | o], with one split and with the merge pass', async () => {
    const [B, Hq, Hkv, Dh, offset, C] = [3, 4, 2, 8, 5, 6];
    const width = (Hq + 2 * Hkv) * Dh;
    const wide = offset + width + 3;
    for (const [len, want] of [
      [7, { strided_copy: 1, attention_decode_step: 1 }],
      [300, { strided_copy: 1, attention_decode_step: 1, attention_combine: 1 }],
    ] as const) {
      const row = values(B * wide, 41);
      const columns = new Float32Array(B * width);
      for (let r = 0; r < B; r++) columns.set(row.subarray(r * wide + offset, r * wide + offset + width), r * width);
      const prefix = values(B * C, 42);
      const keys = values(B * len * Hkv * Dh, 43);
      const vals = values(B * len * Hkv * Dh, 44);
      const kSeq = Int32Array.from({ length: B * len }, (_, i) => (i % 5 === 3 ? -1 : Math.floor(i / len)));
      const common = {
        positions: upload(Int32Array.from([4, 0, 250]), [B]),
        slots: upload(Int32Array.from([2, 0, len - 1]), [B]),
        qSeqIdx: upload(Int32Array.from([0, 1, 2]), [B]),
        kSeqIdx: upload(kSeq, [B, len]),
      };
      const attrs = { heads: Hq, kvHeads: Hkv, theta: 1e4, scale: 0.3 };
      const plainKeys = upload(keys, [B, len, Hkv, Dh]);
      const plainValues = upload(vals, [B, len, Hkv, Dh]);
      const plain = attentionDecodeStep(
        b,
        { ...common, qkv: upload(columns, [B, width]), keys: plainKeys, values: plainValues },
        { ...attrs, offset: 0 },
      );
      made.push(plain);
      const ins = {
        ...common,
        qkv: upload(row, [B, wide]),
        keys: upload(keys, [B, len, Hkv, Dh]),
        values: upload(vals, [B, len, Hkv, Dh]),
        prefix: upload(prefix, [B, C]),
      };
      let out: TensorInfo | undefined;
      expect(b.countDispatches(() => (out = attentionDecodeStep(b, ins, { ...attrs, offset })))).toEqual(want);
      made.push(out!);
      expect(out!.shape).toEqual([B, C + Hq * Dh]);
      const got = (await b.read(out!)) as Float32Array;
      const o = (await b.read(plain)) as Float32Array;
      const expected = new Float32Array(B * (C + Hq * Dh));
      for (let r = 0; r < B; r++) {
        expected.set(prefix.subarray(r * C, (r + 1) * C), r * (C + Hq * Dh));
        expected.set(o.subarray(r * Hq * Dh, (r + 1) * Hq * Dh), r * (C + Hq * Dh) + C);
      }
      expect([...got], `${len} slots`).toEqual([...expected]);
      expect([...((await b.read(ins.keys)) as Float32Array)]).toEqual([...((await b.read(plainKeys)) as Float32Array)]);
      expect([...((await b.read(ins.values)) as Float32Array)]).toEqual([
        ...((await b.read(plainValues)) as Float32Array),
      ]);
    }
  });
});
