/**
 * ParallelMixersDecodeStep on the GPU (skipped without one): the SSM step and the attention step launched side by
 * side (two streams, forked and joined) give the very bits of the two kernels one after the other (f32 and 16-bit
 * SSM states) —
 * SsmDecodeStepInPlace, then AttentionDecodeStep with the SSM output as its prefix — in the output row, both
 * in-place states and the KV cache, over several steps (a join that let the next step start early, or a y written
 * into the wrong columns, would show). Eagerly and as a replayed CUDA graph (where the fork and join are edges).
 * The numerics against the float64 reference are the conformance suite's.
 */
import {
  attentionDecodeStep,
  captureGraph,
  cast,
  dispatchCounts,
  overwrite,
  parallelMixersDecodeStep,
  ssmDecodeStepInPlace,
  type Tensor,
  tensor,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { isAvailable } from '../src/base.js';
import { differences, read } from './bit-compare.js';
import { values } from './deterministic-values.js';
import { withCudaBackend } from './with-cuda-backend.js';

const probe = await isAvailable();
const STEPS = 3;

interface Shape {
  b: number;
  ssm: { h: number; p: number; g: number; n: number; k: number };
  attention: { heads: number; kvHeads: number; dh: number; l: number };
  /** Column offsets of the two steps in the packed row (either order). */
  ssmOffset: number;
  attentionOffset: number;
}

// The 0.5B's mixers (in_proj's 3352 columns, then q|k|v) at batch 1 and 32 (whole-head SSM blocks, a one-chunk-per-
// row attention), and an awkward pair with the attention's columns first: two groups, N = 20, K = 3, Dh 40.
const SHAPES: Shape[] = [
  {
    b: 1,
    ssm: { h: 24, p: 64, g: 1, n: 128, k: 4 },
    attention: { heads: 8, kvHeads: 2, dh: 64, l: 560 },
    ssmOffset: 0,
    attentionOffset: 3352,
  },
  {
    b: 32,
    ssm: { h: 24, p: 64, g: 1, n: 128, k: 4 },
    attention: { heads: 8, kvHeads: 2, dh: 64, l: 97 },
    ssmOffset: 0,
    attentionOffset: 3352,
  },
  {
    b: 3,
    ssm: { h: 4, p: 5, g: 2, n: 20, k: 3 },
    attention: { heads: 4, kvHeads: 1, dh: 40, l: 70 },
    ssmOffset: 251,
    attentionOffset: 2,
  },
];

function label({ b, ssm, attention, ssmOffset, attentionOffset }: Shape): string {
  return (
    `B ${b}, H ${ssm.h} P ${ssm.p} G ${ssm.g} N ${ssm.n} K ${ssm.k}, Hq ${attention.heads} Hkv ${attention.kvHeads} ` +
    `Dh ${attention.dh} L ${attention.l}, offsets ${ssmOffset}/${attentionOffset}`
  );
}

describe.runIf(probe.available)('CUDA ParallelMixersDecodeStep', () => {
  for (const shape of SHAPES) {
    for (const [dtype, stateDtype] of [
      ['f32', 'f32'],
      ['bf16', 'f32'],
      ['f16', 'f32'],
      ['bf16', 'bf16'],
    ] as const) {
      for (const mode of ['eager', 'graph'] as const) {
        it(
          `${dtype} (${stateDtype} state) ${label(shape)}, ${mode}: the bits of the two steps one after the other, ${STEPS} steps`,
          withCudaBackend(async () => {
            const { b, ssm, attention, ssmOffset, attentionOffset } = shape;
            const { h, p, g, n, k } = ssm;
            const { heads, kvHeads, dh, l } = attention;
            const dSsm = h * p;
            const convDim = dSsm + 2 * g * n;
            const width = Math.max(ssmOffset + dSsm + convDim + h, attentionOffset + (heads + 2 * kvHeads) * dh) + 5;
            const constants = {
              convWeight: cast(tensor(values(convDim * k, 7), [convDim, k]), dtype),
              convBias: cast(tensor(values(convDim, 8), [convDim]), dtype),
              dtBias: tensor(values(h, 9), [h]),
              A: tensor(
                values(h, 10).map((v) => -Math.exp(v)),
                [h],
              ),
              D: tensor(values(h, 11), [h]),
            };
            // Two copies of every state: the fused step's and the two kernels'.
            const copies = (make: () => Tensor) => [make(), make()].map((t) => variable(t, { trainable: false }));
            const [convA, convB] = copies(() => cast(tensor(values(b * convDim * k, 12), [b, convDim, k]), dtype));
            const [stateA, stateB] = copies(() => cast(tensor(values(b * dSsm * n, 13), [b, h, p, n]), stateDtype));
            const cache = () => cast(tensor(values(b * l * kvHeads * dh, 14), [b, l, kvHeads, dh]), dtype);
            const [keysA, keysB] = copies(cache);
            const [valuesA, valuesB] = copies(cache);
            // The step's inputs are variables updated in place between steps (what a captured graph replays).
            const row = variable(cast(tensor(values(b * width, 20), [b, width]), dtype), { trainable: false });
            const positions = variable(tensor(new Array(b).fill(0), [b], 'i32'), { trainable: false });
            const kSeqIdx = variable(tensor(new Array(b * l).fill(-1), [b, l], 'i32'), { trainable: false });
            const qSeqIdx = tensor(new Array(b).fill(0), [b], 'i32');
            const ids = { positions, slots: positions, qSeqIdx, kSeqIdx };
            const attentionOptions = { heads, kvHeads, theta: 10000, scale: 1 / Math.sqrt(dh) };
            const fused = () =>
              parallelMixersDecodeStep(
                {
                  qkv: row,
                  ssm: { convState: convA!, ssmState: stateA!, ...constants },
                  attention: { keys: keysA!, values: valuesA!, ...ids },
                },
                { ssm: { offset: ssmOffset }, attention: { ...attentionOptions, offset: attentionOffset } },
              );
            // Graph mode: the first step runs eagerly (it makes the kernels' tables, as a decoder's first step does),
            // then the rest replay a capture.
            let graph: ReturnType<typeof captureGraph<Tensor>> | undefined;
            for (let step = 0; step < STEPS; ++step) {
              if (mode === 'graph' && step === 1) graph = captureGraph(fused);
              const slot = 40 + step;
              overwrite(row, cast(tensor(values(b * width, 21 + step), [b, width]), dtype));
              overwrite(positions, tensor(new Array(b).fill(slot), [b], 'i32'));
              overwrite(
                kSeqIdx,
                tensor(
                  Array.from({ length: b * l }, (_, i) => (i % l <= slot ? 0 : -1)),
                  [b, l],
                  'i32',
                ),
              );
              let got: Tensor;
              if (graph) {
                graph.replay();
                got = graph.outputs;
              } else {
                got = fused();
              }
              const y = ssmDecodeStepInPlace(
                { zxbcdt: row, convState: convB!, ssmState: stateB!, ...constants },
                { offset: ssmOffset },
              );
              const want = attentionDecodeStep(
                { qkv: row, keys: keysB!, values: valuesB!, prefix: y, ...ids },
                { ...attentionOptions, offset: attentionOffset },
              );
              const pairs = await read([
                got,
                want,
                convA!,
                convB!,
                stateA!,
                stateB!,
                keysA!,
                keysB!,
                valuesA!,
                valuesB!,
              ]);
              for (let i = 0; i < pairs.length; i += 2) expect(differences(pairs[i]!, pairs[i + 1]!)).toBe(0);
            }
            graph?.dispose();
            // Eagerly every step is the native kernel; in graph mode the first step and the capture.
            expect(dispatchCounts().ParallelMixersDecodeStep?.native).toBe(mode === 'eager' ? STEPS : 2);
          }),
        );
      }
    }
  }
});
