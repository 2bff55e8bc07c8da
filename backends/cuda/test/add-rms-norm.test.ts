/**
 * AddRmsNorm on the GPU (skipped without one): add_rms_norm.cu gives the very bits of this backend's Add followed by
 * its RmsNorm — the sum rounded as Add stores it, then the row reduced in rms_norm.cu's order — on its 16-byte path
 * (D a multiple of 8 elements) and its element path (D = 1031), in f32, bf16 and f16. Its numerics against the float64
 * reference are the conformance suite's (tests/conformance).
 */
import {
  add,
  addRmsNorm,
  cast,
  dispatchCounts,
  dispose,
  rmsNorm,
  type Tensor,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { isAvailable } from '../src/base.js';
import { values } from './deterministic-values.js';
import { withCudaBackend } from './with-cuda-backend.js';

const probe = await isAvailable();

describe.runIf(probe.available)('CUDA AddRmsNorm', () => {
  for (const dtype of ['f32', 'bf16', 'f16'] as const) {
    for (const [rows, d] of [
      [3, 1024],
      [2, 1031],
    ] as const) {
      it(
        `${dtype} [${rows}, ${d}]: the bits of Add then RmsNorm`,
        withCudaBackend(async () => {
          // [fused sum, fused norm, Add's sum, RmsNorm of it], widened to f32 (exactly) for reading.
          const outs = tidy(() => {
            const x = cast(tensor(values(rows * d, 1), [rows, d]), dtype);
            const r = cast(tensor(values(rows * d, 2), [rows, d]), dtype);
            const w = cast(
              tensor(
                values(d, 3).map((v) => 1 + v / 4),
                [d],
              ),
              dtype,
            );
            const fused = addRmsNorm(x, r, w, 1e-6);
            const sum = add(x, r);
            return [fused.sum, fused.normed, sum, rmsNorm(sum, w, 1e-6)].map((t) => cast(t, 'f32'));
          });
          expect(dispatchCounts().AddRmsNorm).toEqual({ native: 1, fallback: 0 });
          const [fusedSum, fusedNorm, sum, norm] = await Promise.all(
            outs.map(async (t: Tensor) => Array.from((await t.data()) as Float32Array)),
          );
          expect(fusedSum).toEqual(sum);
          expect(fusedNorm).toEqual(norm);
          dispose(outs);
        }),
      );
    }
  }
});
