/**
 * The decode step's fused kernels on the GPU (skipped without one) give the very bits of the kernels they replace —
 * their numerics against the float64 reference are the conformance suite's (tests/conformance):
 *   - AddRmsNormMatMul = AddRmsNorm, then MatMul of its normed output (mat_vec.cu's prologue kernel at ≤ 8 rows,
 *     the two kernels beyond);
 *   - SwiGluPackedMatMul = SwiGluPacked, then MatMul (mat_vec.cu's prologue kernel at ≤ 8 rows, the two kernels
 *     beyond);
 *   - AddRmsNormSwiGluMlp = AddRmsNormMatMul, then SwiGluPackedMatMul (the activation as the gate|up product's
 *     epilogue: mat_vec.cu's norm-prologue kernel at ≤ 8 rows, skinny_gemm.cu's SwiGLU tiles at 9–32 16-bit rows);
 *   - SsmDecodeStepInPlace = SsmDecodeStep (y, and the states it returns = the states written in place), over
 *     several steps so a wrong B/C-window ticket would show, with an f32 state and a 16-bit one;
 *   - AttentionDecodeStep with its q|k|v at an offset of a wider row and a prefix = the step on the sliced columns,
 *     with the prefix concatenated in front.
 */
import {
  addRmsNorm,
  addRmsNormMatMul,
  addRmsNormSwiGluMlp,
  attentionDecodeStep,
  cast,
  concat,
  dispatchCounts,
  dispose,
  keep,
  linear,
  sliceAxis,
  ssmDecodeStep,
  ssmDecodeStepInPlace,
  swiGluPacked,
  swiGluPackedMatMul,
  type Tensor,
  tensor,
  tidy,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { isAvailable } from '../src/base.js';
import { differences, read } from './bit-compare.js';
import { values } from './deterministic-values.js';
import { withCudaBackend } from './with-cuda-backend.js';

const probe = await isAvailable();
const DTYPES = ['f32', 'bf16', 'f16'] as const;

describe.runIf(probe.available)('CUDA fused decode products', () => {
  for (const dtype of DTYPES) {
    for (const [rows, d, n] of [
      [1, 1024, 4120],
      [3, 72, 37],
      [8, 1024, 2048],
      [13, 1024, 1000],
      [16, 1024, 4120],
      [32, 1024, 4120],
      [32, 1024, 2048],
    ] as const) {
      it(
        `AddRmsNormMatMul ${dtype} [${rows}, ${d}] → ${n}: the bits of AddRmsNorm then MatMul`,
        withCudaBackend(async () => {
          const outs = tidy(() => {
            const x = cast(tensor(values(rows * d, 1), [rows, d]), dtype);
            const residual = cast(tensor(values(rows * d, 2), [rows, d]), dtype);
            const normWeight = cast(tensor(values(d, 3), [d]), dtype);
            const weight = cast(
              tensor(
                values(n * d, 4).map((v) => v / 16),
                [n, d],
              ),
              dtype,
            );
            const fused = addRmsNormMatMul(x, residual, normWeight, weight, 1e-5);
            const unfused = addRmsNorm(x, residual, normWeight, 1e-5);
            return [fused.sum, fused.y, unfused.sum, linear(unfused.normed, weight)].map(keep);
          });
          expect(dispatchCounts().AddRmsNormMatMul).toEqual({ native: 1, fallback: 0 });
          const [sum, y, sum2, y2] = await read(outs);
          expect(differences(sum!, sum2!)).toBe(0);
          expect(differences(y!, y2!)).toBe(0);
          dispose(outs);
        }),
      );
    }
    for (const [rows, inner, n] of [
      [1, 2048, 1024],
      [3, 40, 29],
      [8, 2048, 1024],
      [13, 40, 29],
      [13, 2048, 1000],
      [16, 2048, 1024],
      [32, 2048, 1024],
    ] as const) {
      it(
        `SwiGluPackedMatMul ${dtype} [${rows}, 2·${inner}] → ${n}: the bits of SwiGluPacked then MatMul`,
        withCudaBackend(async () => {
          const outs = tidy(() => {
            const gateUp = cast(tensor(values(rows * 2 * inner, 5), [rows, 2 * inner]), dtype);
            const weight = cast(
              tensor(
                values(n * inner, 6).map((v) => v / 16),
                [n, inner],
              ),
              dtype,
            );
            return [swiGluPackedMatMul(gateUp, weight, 0.883883), linear(swiGluPacked(gateUp, 0.883883), weight)];
          });
          expect(dispatchCounts().SwiGluPackedMatMul).toEqual({ native: 1, fallback: 0 });
          const [fused, unfused] = await read(outs);
          expect(differences(fused!, unfused!)).toBe(0);
          dispose(outs);
        }),
      );
    }
    // [rows, D, I, N]: the matrix-vector path with its SwiGLU epilogue (≤ 8 rows), the skinny GEMM's SwiGLU tiles
    // (9–32 16-bit rows; f32 there: the separate kernels), I = 13 (a partial tile of 8 activation columns and a down
    // weight no 16-byte row can read: cuBLASLt for the down product).
    for (const [rows, d, inner, n] of [
      [1, 1024, 2048, 1024],
      [3, 72, 40, 29],
      [5, 72, 13, 37],
      [8, 1024, 2048, 1024],
      [13, 72, 13, 37],
      [13, 1024, 2048, 1000],
      [16, 1024, 2048, 1024],
      [32, 1024, 2048, 1024],
    ] as const) {
      it(
        `AddRmsNormSwiGluMlp ${dtype} [${rows}, ${d}], I ${inner} → ${n}: the bits of AddRmsNormMatMul then SwiGluPackedMatMul`,
        withCudaBackend(async () => {
          const outs = tidy(() => {
            const x = cast(tensor(values(rows * d, 7), [rows, d]), dtype);
            const residual = cast(tensor(values(rows * d, 8), [rows, d]), dtype);
            const normWeight = cast(tensor(values(d, 9), [d]), dtype);
            const gateUpWeight = cast(
              tensor(
                values(2 * inner * d, 10).map((v) => v / 16),
                [2 * inner, d],
              ),
              dtype,
            );
            const downWeight = cast(
              tensor(
                values(n * inner, 11).map((v) => v / 16),
                [n, inner],
              ),
              dtype,
            );
            const fused = addRmsNormSwiGluMlp(x, residual, normWeight, gateUpWeight, downWeight, 1e-5, 0.883883);
            const first = addRmsNormMatMul(x, residual, normWeight, gateUpWeight, 1e-5);
            const y = swiGluPackedMatMul(first.y, downWeight, 0.883883);
            return [fused.sum, fused.y, first.sum, y].map(keep);
          });
          expect(dispatchCounts().AddRmsNormSwiGluMlp).toEqual({ native: 1, fallback: 0 });
          const [sum, y, sum2, y2] = await read(outs);
          expect(differences(sum!, sum2!)).toBe(0);
          expect(differences(y!, y2!)).toBe(0);
          dispose(outs);
        }),
      );
    }
  }
});

describe.runIf(probe.available)('CUDA SsmDecodeStepInPlace', () => {
  // The 0.5B's mixer at batch 1, 6 (96 blocks share a group's B/C windows) and 12 (more than eight 16-row blocks per
  // SM of an H100/H200: whole-head blocks, 24 per group), and an awkward one: two groups, N = 20 (the scalar state
  // path), K = 3.
  for (const [b, h, p, g, n, k, offset] of [
    [1, 24, 64, 1, 128, 4, 0],
    [6, 24, 64, 1, 128, 4, 4096],
    [12, 24, 64, 1, 128, 4, 0],
    [3, 4, 5, 2, 20, 3, 7],
  ] as const) {
    for (const [dtype, stateDtype] of [
      ['f32', 'f32'],
      ['bf16', 'f32'],
      ['bf16', 'bf16'],
      ['f16', 'f16'],
    ] as const) {
      it(
        `${dtype} (${stateDtype} state) B ${b}, H ${h}, P ${p}, G ${g}, N ${n}, K ${k}, offset ${offset}: the bits of SsmDecodeStep, 4 steps`,
        withCudaBackend(async () => {
          const dSsm = h * p;
          const convDim = dSsm + 2 * g * n;
          const width = offset + dSsm + convDim + h + 5;
          const convWeight = cast(tensor(values(convDim * k, 7), [convDim, k]), dtype);
          const convBias = cast(tensor(values(convDim, 8), [convDim]), dtype);
          const dtBias = tensor(values(h, 9), [h]);
          const A = tensor(
            values(h, 10).map((v) => -Math.exp(v)),
            [h],
          );
          const D = tensor(values(h, 11), [h]);
          const conv0 = cast(tensor(values(b * convDim * k, 12), [b, convDim, k]), dtype);
          const state0 = cast(tensor(values(b * dSsm * n, 13), [b, h, p, n]), stateDtype);
          const convState = variable(conv0, { trainable: false });
          const ssmState = variable(state0, { trainable: false });
          let conv: Tensor = conv0;
          let state: Tensor = state0;
          for (let step = 0; step < 4; ++step) {
            const row = cast(tensor(values(b * width, 20 + step), [b, width]), dtype);
            const shared = { convWeight, convBias, dtBias, A, D };
            const y = ssmDecodeStepInPlace({ zxbcdt: row, convState, ssmState, ...shared }, { offset });
            const columns = sliceAxis(row, 1, offset, dSsm + convDim + h);
            const want = ssmDecodeStep({ zxbcdt: columns, convState: conv, ssmState: state, ...shared });
            const [got, expected, gotConv, wantConv, gotState, wantState] = await read([
              y,
              want.y,
              convState,
              want.convState,
              ssmState,
              want.ssmState,
            ]);
            expect(differences(got!, expected!)).toBe(0);
            expect(differences(gotConv!, wantConv!)).toBe(0);
            expect(differences(gotState!, wantState!)).toBe(0);
            conv = want.convState;
            state = want.ssmState;
          }
          expect(dispatchCounts().SsmDecodeStepInPlace?.native).toBe(4);
        }),
      );
    }
  }
});

describe.runIf(probe.available)('CUDA AttentionDecodeStep with offset and prefix', () => {
  // Dh 64 takes the tensor-core kernel in 16-bit dtypes, the CUDA-core one in f32; Dh 40 the CUDA-core one always.
  for (const [b, heads, kvHeads, dh, l] of [
    [1, 8, 2, 64, 560],
    [5, 8, 2, 64, 97],
    [3, 4, 1, 40, 70],
  ] as const) {
    for (const dtype of DTYPES) {
      it(
        `${dtype} B ${b}, Hq ${heads}, Hkv ${kvHeads}, Dh ${dh}, L ${l}: the bits of the sliced step with Concat`,
        withCudaBackend(async () => {
          const width = (heads + 2 * kvHeads) * dh;
          const offset = 3352;
          const prefixWidth = 1536;
          const row = cast(tensor(values(b * (offset + width + 8), 30), [b, offset + width + 8]), dtype);
          const prefix = cast(tensor(values(b * prefixWidth, 31), [b, prefixWidth]), dtype);
          const cache = () => cast(tensor(values(b * l * kvHeads * dh, 32), [b, l, kvHeads, dh]), dtype);
          const [keysA, valuesA, keysB, valuesB] = [cache(), cache(), cache(), cache()].map((t) =>
            variable(t, { trainable: false }),
          );
          const slot = Math.min(l - 1, 51);
          const positions = tensor(new Array(b).fill(slot), [b], 'i32');
          const slots = tensor([slot], [1], 'i32');
          const qSeqIdx = tensor(new Array(b).fill(0), [b], 'i32');
          const kSeqIdx = tensor(
            Array.from({ length: b * l }, (_, i) => (i % l <= slot ? 0 : -1)),
            [b, l],
            'i32',
          );
          const options = { heads, kvHeads, theta: 10000, scale: 0.125 };
          const ids = { positions, slots, qSeqIdx, kSeqIdx };
          const got = attentionDecodeStep(
            { qkv: row, keys: keysA!, values: valuesA!, prefix, ...ids },
            { ...options, offset },
          );
          const o = attentionDecodeStep(
            { qkv: sliceAxis(row, 1, offset, width), keys: keysB!, values: valuesB!, ...ids },
            options,
          );
          const [fused, unfused, ka, kb, va, vb] = await read([
            got,
            concat([prefix, o], -1),
            keysA!,
            keysB!,
            valuesA!,
            valuesB!,
          ]);
          expect(differences(fused!, unfused!)).toBe(0);
          expect(differences(ka!, kb!)).toBe(0);
          expect(differences(va!, vb!)).toBe(0);
          expect(dispatchCounts().AttentionDecodeStep?.native).toBe(2);
        }),
      );
    }
  }
});
