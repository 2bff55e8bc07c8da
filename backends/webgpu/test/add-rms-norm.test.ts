/**
 * AddRmsNorm on whatever adapter this machine has (lavapipe in CI): one dispatch, and the very bits of this
 * backend's Add followed by its RmsNorm (the shader reduces each row exactly as rms_norm.wgsl does), for a row
 * shorter than a workgroup, one that is not a multiple of it and the 0.5B width. Its numerics against the float64
 * reference are the conformance suite's (tests/conformance).
 */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGPUBackend, isAvailable, type WebGPUBackend } from '../src/base.js';
import { add } from '../src/kernels/Add.js';
import { addRmsNorm } from '../src/kernels/AddRmsNorm.js';
import { rmsNorm } from '../src/kernels/RmsNorm.js';
import { values } from './float-checks.js';

const probe = await isAvailable();

describe.runIf(probe.available)('WebGPU AddRmsNorm', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  const made: TensorInfo[] = [];
  const upload = (data: Float32Array, shape: number[]): TensorInfo => {
    const t: TensorInfo = { dataId: b.write(data, shape, 'f32'), shape, dtype: 'f32' };
    made.push(t);
    return t;
  };
  afterAll(() => {
    for (const t of made) b.disposeData(t.dataId);
    b?.dispose();
  });

  for (const [rows, d] of [
    [1, 7],
    [3, 333],
    [2, 1024],
  ] as const) {
    it(`[${rows}, ${d}] f32: one dispatch, the bits of Add then RmsNorm`, async () => {
      const x = upload(values(rows * d, 11), [rows, d]);
      const residual = upload(values(rows * d, 12), [rows, d]);
      const weight = upload(
        values(d, 13).map((v) => 1 + v / 2),
        [d],
      );
      let fused: { sum: TensorInfo; normed: TensorInfo } | undefined;
      const dispatches = b.countDispatches(() => {
        fused = addRmsNorm(b, { x, residual, weight }, { eps: 1e-6 });
      });
      expect(dispatches).toEqual({ add_rms_norm: 1 });
      const sum = add(b, { a: x, b: residual });
      const normed = rmsNorm(b, { x: sum, weight }, { eps: 1e-6 });
      made.push(fused!.sum, fused!.normed, sum, normed);
      const read = async (t: TensorInfo): Promise<number[]> => Array.from((await b.read(t)) as Float32Array);
      expect(await read(fused!.sum)).toEqual(await read(sum));
      expect(await read(fused!.normed)).toEqual(await read(normed));
    });
  }
});
