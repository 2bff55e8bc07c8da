/**
 * SwiGluPacked on the GPU (skipped without one): swi_glu.cu's packed kernel gives the very bits of this backend's
 * SwiGlu on the two halves of each [gate | up] row (Slices of the packed projection) — one element, an odd width
 * over several rows, a decode batch of 32 at the 0.5B's intermediate size — in f32, bf16 and f16. Its numerics
 * against the float64 reference are the conformance suite's (tests/conformance).
 */
import {
  cast,
  dispatchCounts,
  dispose,
  sliceAxis,
  swiGlu,
  swiGluPacked,
  type Tensor,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { isAvailable } from '../src/base.js';
import { values } from './deterministic-values.js';
import { withCudaBackend } from './with-cuda-backend.js';

const probe = await isAvailable();

describe.runIf(probe.available)('CUDA SwiGluPacked', () => {
  for (const dtype of ['f32', 'bf16', 'f16'] as const) {
    for (const [rows, inner] of [
      [1, 1],
      [5, 33],
      [32, 2048],
    ] as const) {
      it(
        `${dtype} [${rows}, 2·${inner}]: the bits of SwiGlu on the two halves`,
        withCudaBackend(async () => {
          // [fused, SwiGlu of the Slices], widened to f32 (exactly) for reading.
          const outs = tidy(() => {
            const gateUp = cast(
              tensor(
                values(rows * 2 * inner, 4).map((v) => 2.5 * v),
                [rows, 1, 2 * inner],
              ),
              dtype,
            );
            const gate = sliceAxis(gateUp, -1, 0, inner);
            const up = sliceAxis(gateUp, -1, inner, inner);
            return [swiGluPacked(gateUp, 0.883883), swiGlu(gate, up, 0.883883)].map((t) => cast(t, 'f32'));
          });
          expect(dispatchCounts().SwiGluPacked).toEqual({ native: 1, fallback: 0 });
          const [fused, unfused] = await Promise.all(
            outs.map(async (t: Tensor) => Array.from((await t.data()) as Float32Array)),
          );
          expect(fused).toEqual(unfused);
          dispose(outs);
        }),
      );
    }
  }
});
