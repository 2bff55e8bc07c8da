/**
 * Cases for SsmDecodeStep, the Mamba2 mixer's decode step after in_proj: B = 1 and 3, odd H, one and two groups,
 * P and N not powers of two, conv widths 4 and 3, with and without conv bias and D, gate silu and none, a
 * time-step clamp, the Falcon-H1-0.5B mixer's sizes, a batch large enough for whole-head blocks on CUDA, and the
 * CUDA kernel's wide form (N = 64 with a partial 64-row tile, N = 256). The packed input is [z | x B C | dt]; dt_bias puts
 * softplus(dt + dt_bias) in the published dt range. Inputs in the state dtype (ssmState, dtBias, A, D) stay f32
 * for 16-bit runs, as a bf16/f16 model keeps them.
 *
 * And for SsmDecodeStepInPlace, the same step reading its columns at an offset of a wider row (the mixer's and the
 * attention's projections as one MatMul) and writing both states in place: every case compares y AND the two states
 * after the call. B = 1, 3 and 16; the 0.5B mixer (its merged row: the step's columns first, then q|k|v) and an
 * awkward one (G = 2, N = 20, K = 3, P = 5); offset 0 and > 0 with columns after the step; gate silu and none. The
 * B = 16, 0.5B-sized case at an offset past 4096 runs many blocks per group on a GPU: each reads the group's B and C
 * conv state that one of them rewrites, so a kernel that writes in place before every block has read races there.
 *
 * Both kernels again with a 16-bit state (ssm-state.ts: ssmState in the activations' bf16 or f16, each case in its
 * dtype only): the 0.5B mixer at B = 1 and 5 and a small odd one, the wide form at N = 64, the in-place ones at odd
 * offsets of a wider row (the 0.5B mixer at B = 16: the wide form in place).
 */
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput, ConformanceCase } from '../case.js';
import { floatIn, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';
import { type SixteenBitState, sixteenBitStateCase, ssmStateIn, storedSsmState } from './ssm-state.js';

/** A Mamba2 decode step's sizes, conv bias and D, dt clamp and state dtype (ParallelMixersDecodeStep's SSM too). */
export interface SsmStepSpec {
  h: number;
  p: number;
  g: number;
  n: number;
  k: number;
  bias: boolean;
  d: boolean;
  limit?: [number, number];
  /** A 16-bit state: ssmState in the activations' dtype (the case runs in that dtype only). */
  state?: SixteenBitState;
}

interface DecodeSpec extends SsmStepSpec {
  b: number;
  gate: ops.SsmGate;
  tag?: string;
}

const HALF_B_MIXER = { h: 24, p: 64, g: 1, n: 128, k: 4, bias: true, d: true } as const;

const DECODE: DecodeSpec[] = [
  { b: 1, h: 3, p: 4, g: 1, n: 5, k: 4, bias: true, d: true, gate: 'silu' },
  { b: 3, h: 5, p: 3, g: 1, n: 6, k: 3, bias: false, d: false, gate: 'none' },
  { b: 3, h: 6, p: 5, g: 2, n: 7, k: 4, bias: true, d: true, gate: 'silu', limit: [0.05, 0.4] },
  { b: 1, h: 4, p: 6, g: 2, n: 3, k: 3, bias: true, d: false, gate: 'none' },
  { b: 3, h: 7, p: 2, g: 1, n: 9, k: 4, bias: false, d: true, gate: 'silu' },
  { b: 1, h: 24, p: 64, g: 1, n: 128, k: 4, bias: true, d: true, gate: 'silu', tag: 'Falcon-H1-0.5B' },
  // Many rows of a batch: 1,536 blocks of 16 state rows, which the CUDA kernel takes as whole-head blocks (its
  // choice above 8 blocks per SM, for cards of up to 191 SMs).
  { b: 16, h: 24, p: 64, g: 1, n: 16, k: 4, bias: true, d: true, gate: 'silu' },
  // The CUDA kernel's wide form (many blocks, K = 4, N of 64, 128 or 256: eight state values per lane; the 0.5B
  // mixer at batch 16 is the in-place cases' below): a partial 64-row tile (P = 80) with two groups, and N = 256
  // (Falcon-H1-1.5B and up). Each has more than 1,528 blocks of 16 rows: cards of up to 191 SMs take the wide form.
  { b: 16, h: 20, p: 80, g: 2, n: 64, k: 4, bias: true, d: true, gate: 'none', limit: [0.05, 0.4], tag: 'wide' },
  { b: 33, h: 12, p: 64, g: 1, n: 256, k: 4, bias: false, d: true, gate: 'silu', tag: 'wide' },
];

/** Each spec with a bf16 state and with an f16 state. */
function withSixteenBitStates<S extends DecodeSpec>(specs: readonly S[]): S[] {
  return specs.flatMap((s) => (['bf16', 'f16'] as const).map((state) => ({ ...s, state })));
}

const DECODE_16_BIT_STATE: DecodeSpec[] = withSixteenBitStates([
  { ...HALF_B_MIXER, b: 1, gate: 'silu', tag: 'Falcon-H1-0.5B' },
  { ...HALF_B_MIXER, b: 5, gate: 'none', limit: [0.05, 0.4], tag: 'Falcon-H1-0.5B sizes' },
  { b: 3, h: 6, p: 3, g: 2, n: 7, k: 3, bias: false, d: true, gate: 'silu' },
  // The wide form (above) with a 16-bit state: 16-byte accesses of eight state values.
  { b: 16, h: 20, p: 80, g: 2, n: 64, k: 4, bias: true, d: false, gate: 'none', tag: 'wide' },
]);

/** The case's inputs; zxbcdt is [B, before + dSsm + convDim + H + after] (the step's columns after `before`). */
function decodeInputs(rng: Rng, s: DecodeSpec, before = 0, after = 0): CaseInput[] {
  const dSsm = s.h * s.p;
  const convDim = dSsm + 2 * s.g * s.n;
  const list: CaseInput[] = [
    floatIn(rng, 'zxbcdt', [s.b, before + dSsm + convDim + s.h + after], -2, 2),
    floatIn(rng, 'convState', [s.b, convDim, s.k]),
    floatIn(rng, 'convWeight', [convDim, s.k], -0.7, 0.7),
    ssmStateIn(rng, [s.b, s.h, s.p, s.n], s.state),
    stateIn(rng, 'dtBias', [s.h], -2, -0.5),
    stateIn(rng, 'A', [s.h], -2.5, -0.2),
  ];
  if (s.bias) list.push(floatIn(rng, 'convBias', [convDim], -0.3, 0.3));
  if (s.d) list.push(stateIn(rng, 'D', [s.h], 0.5, 1.5));
  return list;
}

function specParams(s: DecodeSpec): string {
  return `B=${s.b},H=${s.h},P=${s.p},G=${s.g},N=${s.n},K=${s.k}${s.bias ? ',convBias' : ''}${s.d ? ',D' : ''},gate=${s.gate}${s.limit ? `,dt in [${s.limit.join(', ')}]` : ''}${sixteenBitStateCase(s.state).params}`;
}

/** The contract's y dtype: the activations' behind the silu gate, the state dtype (dtBias's) without it. */
function checkYDType(y: ops.Tensor, gate: ops.SsmGate, zxbcdt: ops.Tensor, dtBias: ops.Tensor): void {
  const want = gate === 'silu' ? zxbcdt.dtype : dtBias.dtype;
  if (y.dtype !== want) throw new Error(`y is ${y.dtype}, the contract says ${want}`);
}

export const ssmDecodeStepCases: ConformanceCase[] = [...DECODE, ...DECODE_16_BIT_STATE].map((s) => ({
  kernel: 'SsmDecodeStep',
  params: specParams(s),
  tag: s.tag,
  dtypes: sixteenBitStateCase(s.state).dtypes,
  // Decode only: the forward is what backends implement (the gradient is the composition's, checked in gradcheck).
  backward: false,
  inputs: (rng: Rng) => decodeInputs(rng, s),
  run: ({ zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D }) => {
    const out = ops.ssmDecodeStep(
      {
        zxbcdt: zxbcdt!,
        convState: convState!,
        convWeight: convWeight!,
        convBias,
        ssmState: ssmState!,
        dtBias: dtBias!,
        A: A!,
        D,
      },
      { gate: s.gate, timeStepLimit: s.limit },
    );
    checkYDType(out.y, s.gate, zxbcdt!, dtBias!);
    return { ...out, ssmState: storedSsmState(out.ssmState, s.state) };
  },
}));

interface InPlaceSpec extends DecodeSpec {
  /** The step's first column in each row, and the row's columns after the step. */
  offset: number;
  after: number;
}

const HALF_B: Omit<InPlaceSpec, 'b' | 'gate' | 'offset' | 'after'> = HALF_B_MIXER;
const AWKWARD: Omit<InPlaceSpec, 'b' | 'gate' | 'offset' | 'after'> = {
  h: 6,
  p: 5,
  g: 2,
  n: 20,
  k: 3,
  bias: true,
  d: true,
};

const IN_PLACE: InPlaceSpec[] = [
  // The 0.5B layer's merged projection: the mixer's 3,352 columns first, then q|k|v ((8 + 2·2) heads of 64).
  { ...HALF_B, b: 1, gate: 'silu', offset: 0, after: 768, tag: 'Falcon-H1-0.5B merged projection' },
  { ...HALF_B, b: 3, gate: 'none', offset: 0, after: 0 },
  // Many blocks per group on a GPU, and an offset past 4096 with columns after the step.
  { ...HALF_B, b: 16, gate: 'silu', offset: 4104, after: 40, tag: 'many blocks per group' },
  { ...AWKWARD, b: 1, gate: 'none', offset: 0, after: 0, bias: false, d: false },
  { ...AWKWARD, b: 3, gate: 'silu', offset: 37, after: 11, limit: [0.05, 0.4] },
  { ...AWKWARD, b: 16, gate: 'none', offset: 13, after: 5 },
];

const IN_PLACE_16_BIT_STATE: InPlaceSpec[] = withSixteenBitStates([
  { ...HALF_B, b: 1, gate: 'silu', offset: 5, after: 771, tag: 'Falcon-H1-0.5B sizes' },
  { ...HALF_B, b: 5, gate: 'silu', offset: 4107, after: 9, tag: 'Falcon-H1-0.5B sizes' },
  { ...HALF_B, b: 16, gate: 'silu', offset: 4107, after: 9, tag: 'Falcon-H1-0.5B sizes, wide' },
  { ...AWKWARD, b: 3, gate: 'none', offset: 37, after: 11, limit: [0.05, 0.4] },
]);

export const ssmDecodeStepInPlaceCases: ConformanceCase[] = [...IN_PLACE, ...IN_PLACE_16_BIT_STATE].map((s) => ({
  kernel: 'SsmDecodeStepInPlace',
  params: `${specParams(s)},offset=${s.offset},after=${s.after}`,
  tag: s.tag,
  dtypes: sixteenBitStateCase(s.state).dtypes,
  backward: false,
  inputs: (rng: Rng) => decodeInputs(rng, s, s.offset, s.after),
  run: ({ zxbcdt, convState: conv0, convWeight, convBias, ssmState: ssm0, dtBias, A, D }) => {
    const convState = ops.variable(conv0!);
    const ssmState = ops.variable(ssm0!);
    const y = ops.ssmDecodeStepInPlace(
      { zxbcdt: zxbcdt!, convState, convWeight: convWeight!, convBias, ssmState, dtBias: dtBias!, A: A!, D },
      { gate: s.gate, timeStepLimit: s.limit, offset: s.offset },
    );
    checkYDType(y, s.gate, zxbcdt!, dtBias!);
    // The states after the call, as plain tensors that the case's scope owns; the variables are freed here.
    const result = { y, convState: ops.copy(convState), ssmState: storedSsmState(ops.copy(ssmState), s.state) };
    ops.dispose([convState, ssmState]);
    return result;
  },
}));
