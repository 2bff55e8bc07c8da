/**
 * SwiGluPacked on whatever adapter this machine has (lavapipe in CI): one dispatch, and the very bits of this
 * backend's SwiGlu on the two halves of the packed [gate | up] rows (Slice of each), for one element, an odd width
 * over several rows and the 0.5B's intermediate size. Its numerics against the float64 reference are the
 * conformance suite's (tests/conformance).
 */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGPUBackend, isAvailable, type WebGPUBackend } from '../src/base.js';
import { slice } from '../src/kernels/Slice.js';
import { swiGlu } from '../src/kernels/SwiGlu.js';
import { swiGluPacked } from '../src/kernels/SwiGluPacked.js';
import { values } from './float-checks.js';

const probe = await isAvailable();

describe.runIf(probe.available)('WebGPU SwiGluPacked', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  const made: TensorInfo[] = [];
  afterAll(() => {
    for (const t of made) b.disposeData(t.dataId);
    b?.dispose();
  });

  for (const [rows, inner] of [
    [1, 1],
    [5, 33],
    [1, 2048],
  ] as const) {
    it(`[${rows}, 2·${inner}] f32: one dispatch, the bits of SwiGlu on the two halves`, async () => {
      const data = values(rows * 2 * inner, 21).map((v) => 5 * v);
      const gateUp: TensorInfo = {
        dataId: b.write(data, [rows, 2 * inner], 'f32'),
        shape: [rows, 2 * inner],
        dtype: 'f32',
      };
      made.push(gateUp);
      let fused: TensorInfo | undefined;
      const dispatches = b.countDispatches(() => {
        fused = swiGluPacked(b, { gateUp }, { gateMultiplier: 0.883883 });
      });
      expect(dispatches).toEqual({ swi_glu_packed: 1 });
      expect(fused!.shape).toEqual([rows, inner]);
      const gate = slice(b, { x: gateUp }, { begin: [0, 0], size: [rows, inner] });
      const up = slice(b, { x: gateUp }, { begin: [0, inner], size: [rows, inner] });
      const want = swiGlu(b, { gate, up }, { gateMultiplier: 0.883883 });
      made.push(fused!, gate, up, want);
      const read = async (t: TensorInfo): Promise<number[]> => Array.from((await b.read(t)) as Float32Array);
      expect(await read(fused!)).toEqual(await read(want));
    });
  }
});
