/**
 * Cases for SsmDecodeStep, the Mamba2 mixer's decode step after in_proj: B = 1 and 3, odd H, one and two groups,
 * P and N not powers of two, conv widths 4 and 3, with and without conv bias and D, gate silu and none, a
 * time-step clamp, the Falcon-H1-0.5B mixer's sizes, and a batch large enough for whole-head blocks on CUDA. The packed input is [z | x B C | dt]; dt_bias puts
 * softplus(dt + dt_bias) in the published dt range. Inputs in the state dtype (ssmState, dtBias, A, D) stay f32
 * for 16-bit runs, as a bf16/f16 model keeps them.
 */
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput, ConformanceCase } from '../case.js';
import { floatIn, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';

interface DecodeSpec {
  b: number;
  h: number;
  p: number;
  g: number;
  n: number;
  k: number;
  bias: boolean;
  d: boolean;
  gate: ops.SsmGate;
  limit?: [number, number];
  tag?: string;
}

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
];

function decodeInputs(rng: Rng, s: DecodeSpec): CaseInput[] {
  const dSsm = s.h * s.p;
  const convDim = dSsm + 2 * s.g * s.n;
  const list: CaseInput[] = [
    floatIn(rng, 'zxbcdt', [s.b, dSsm + convDim + s.h], -2, 2),
    floatIn(rng, 'convState', [s.b, convDim, s.k]),
    floatIn(rng, 'convWeight', [convDim, s.k], -0.7, 0.7),
    stateIn(rng, 'ssmState', [s.b, s.h, s.p, s.n]),
    stateIn(rng, 'dtBias', [s.h], -2, -0.5),
    stateIn(rng, 'A', [s.h], -2.5, -0.2),
  ];
  if (s.bias) list.push(floatIn(rng, 'convBias', [convDim], -0.3, 0.3));
  if (s.d) list.push(stateIn(rng, 'D', [s.h], 0.5, 1.5));
  return list;
}

export const ssmDecodeStepCases: ConformanceCase[] = DECODE.map((s) => ({
  kernel: 'SsmDecodeStep',
  params: `B=${s.b},H=${s.h},P=${s.p},G=${s.g},N=${s.n},K=${s.k}${s.bias ? ',convBias' : ''}${s.d ? ',D' : ''},gate=${s.gate}${s.limit ? `,dt in [${s.limit.join(', ')}]` : ''}`,
  tag: s.tag,
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
    // The contract: y in the activations' dtype behind the silu gate, in the state dtype without it.
    const want = s.gate === 'silu' ? zxbcdt!.dtype : ssmState!.dtype;
    if (out.y.dtype !== want) throw new Error(`y is ${out.y.dtype}, the contract says ${want}`);
    return { ...out };
  },
}));
