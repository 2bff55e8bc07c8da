/**
 * A 16-bit SSM decode state (ssmState in the activations' bf16/f16, as transformers keeps it) against the contract's
 * definition of one: the step widens the state to f32, computes exactly as with that f32 state (y from the unrounded
 * new state) and rounds the new state once to the 16-bit dtype. So each step taken on the 16-bit state must equal,
 * BIT FOR BIT, the same op run on Cast(state, f32) with its new state Cast back — for ssmDecodeStep (out of place),
 * ssmDecodeStepInPlace and parallelMixersDecodeStep, on the reference backend's native kernels, on the compositions
 * over the kernels they fuse and on the compositions all the way down (the definition runs under the same policy).
 * bf16 and f16, B = 1 and 3, odd sizes (H 4, P 3, G 2, N 5, K 3; Hq 2, Hkv 1, Dh 4), the step's columns at odd
 * offsets of a wider row, gate silu and none, three steps in a row, each on the state the step before stored.
 * The input rules for a 16-bit state are in the ops' own test files.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import * as ops from '../src/index.js';
import { values } from './deterministic-values.js';
import { ssmDecodeStepValues, ssmStepWidths } from './ssm-decode-step-values.js';

type Half = 'bf16' | 'f16';
type Op = 'ssmDecodeStep' | 'ssmDecodeStepInPlace' | 'parallelMixersDecodeStep';

const [H, P, G, N, K] = [4, 3, 2, 5, 3];
const { conv: CONV, step: SSM_STEP } = ssmStepWidths({ h: H, p: P, g: G, n: N }); // 32 and 48
const [HQ, HKV, DH, L] = [2, 1, 4, 5];
const ATTENTION_STEP = (HQ + 2 * HKV) * DH; // 16
const STEPS = 3;
const LIMIT: [number, number] = [0.05, 1.5];

/** Where each op's columns sit in its packed row: the SSM's at 7 of 59; the mixers' q|k|v at 3, the SSM's 2 after. */
const LAYOUT: Record<Op, { width: number; ssm: number; attention: number }> = {
  ssmDecodeStep: { width: SSM_STEP, ssm: 0, attention: 0 },
  ssmDecodeStepInPlace: { width: 7 + SSM_STEP + 4, ssm: 7, attention: 0 },
  parallelMixersDecodeStep: { width: 3 + ATTENTION_STEP + 2 + SSM_STEP + 5, ssm: 3 + ATTENTION_STEP + 2, attention: 3 },
};

/** Host values of a chain of steps: one packed row per step, the weights and the initial states. */
type Host = { b: number; op: Op; rows: number[][]; keys: number[]; values: number[] } & ReturnType<
  typeof ssmDecodeStepValues
>;

function makeHost(op: Op, b: number): Host {
  const rows = Array.from({ length: STEPS }, (_, t) => values(b * LAYOUT[op].width, 50 + t));
  const cache = b * L * HKV * DH;
  return {
    b,
    op,
    rows,
    keys: values(cache, 61),
    values: values(cache, 62),
    ...ssmDecodeStepValues({ b, h: H, p: P, g: G, n: N, k: K }, 41),
  };
}

interface States {
  convState: ops.Variable;
  ssmState: ops.Variable;
  keys: ops.Variable;
  values: ops.Variable;
}

/** Step t's attention inputs: the token at position and slot t + 1, one document over slots 0 … t + 1. */
function attentionStep(b: number, t: number) {
  const kSeq = Array.from({ length: L }, (_, j) => (j <= t + 1 ? 0 : -1));
  return {
    positions: ops.tensor(new Array(b).fill(t + 1), [b], 'i32'),
    slots: ops.tensor(new Array(b).fill(t + 1), [b], 'i32'),
    qSeqIdx: ops.tensor(new Array(b).fill(0), [b], 'i32'),
    kSeqIdx: ops.tensor(new Array(b).fill(kSeq).flat(), [b, L], 'i32'),
  };
}

/** Step t of `op` with the SSM state `ssmState` (any state dtype); updates the states and returns the output. */
function step(
  host: Host,
  dtype: Half,
  gate: ops.SsmGate,
  t: number,
  states: States,
  ssmState: ops.Variable,
): ops.Tensor {
  const { b, op } = host;
  const layout = LAYOUT[op];
  const row = ops.tensor(host.rows[t]!, [b, layout.width], dtype);
  const weights = {
    convWeight: ops.tensor(host.convWeight, [CONV, K], dtype),
    convBias: ops.tensor(host.convBias, [CONV], dtype),
    dtBias: ops.tensor(host.dtBias, [H], 'f32'),
    A: ops.tensor(host.A, [H], 'f32'),
    D: ops.tensor(host.D, [H], 'f32'),
  };
  const ssm = { ...weights, convState: states.convState, ssmState };
  if (op === 'ssmDecodeStep') {
    const next = ops.ssmDecodeStep({ ...ssm, zxbcdt: row }, { gate, timeStepLimit: LIMIT });
    states.convState.assign(next.convState);
    ssmState.assign(next.ssmState);
    return next.y;
  }
  if (op === 'ssmDecodeStepInPlace') {
    return ops.ssmDecodeStepInPlace({ ...ssm, zxbcdt: row }, { gate, timeStepLimit: LIMIT, offset: layout.ssm });
  }
  return ops.parallelMixersDecodeStep(
    {
      qkv: row,
      ssm,
      attention: { ...attentionStep(b, t), keys: states.keys, values: states.values },
    },
    {
      ssm: { timeStepLimit: LIMIT, offset: layout.ssm },
      attention: { heads: HQ, kvHeads: HKV, theta: 1e4, offset: layout.attention },
    },
  );
}

interface Outcome {
  outputs: Array<ArrayLike<number | bigint>>;
  outputDType: ops.DType;
  ssmStateBefore: ArrayLike<number | bigint>;
  convState: ArrayLike<number | bigint>;
  ssmState: ArrayLike<number | bigint>;
  keys: ArrayLike<number | bigint>;
  values: ArrayLike<number | bigint>;
}

/**
 * STEPS steps of `op` on a 16-bit state: on the 16-bit state variable itself, or `byDefinition` on an f32 variable
 * holding Cast(state, f32) whose new state is Cast back into the 16-bit variable after each step.
 */
function chain(host: Host, dtype: Half, gate: ops.SsmGate, byDefinition: boolean): Outcome {
  const { b } = host;
  const states = ops.tidy(() => ({
    convState: ops.variable(ops.tensor(host.convState, [b, CONV, K], dtype)),
    ssmState: ops.variable(ops.tensor(host.ssmState, [b, H, P, N], dtype)),
    keys: ops.variable(ops.tensor(host.keys, [b, L, HKV, DH], dtype)),
    values: ops.variable(ops.tensor(host.values, [b, L, HKV, DH], dtype)),
  }));
  try {
    const ssmStateBefore = states.ssmState.dataSync();
    const outputs: Array<ArrayLike<number | bigint>> = [];
    let outputDType: ops.DType = dtype;
    for (let t = 0; t < STEPS; t++) {
      const out = ops.tidy(() => {
        if (!byDefinition) return step(host, dtype, gate, t, states, states.ssmState);
        const wide = ops.variable(ops.cast(states.ssmState, 'f32'));
        try {
          const y = step(host, dtype, gate, t, states, wide);
          states.ssmState.assign(ops.cast(wide, dtype));
          return y;
        } finally {
          wide.dispose();
        }
      });
      outputs.push(out.dataSync());
      outputDType = out.dtype;
      out.dispose();
    }
    return {
      outputs,
      outputDType,
      ssmStateBefore,
      convState: states.convState.dataSync(),
      ssmState: states.ssmState.dataSync(),
      keys: states.keys.dataSync(),
      values: states.values.dataSync(),
    };
  } finally {
    ops.dispose(Object.values(states));
  }
}

/** Fallback policies: the native kernel, the composition over the kernels it fuses, the composition all the way. */
const PATHS: Record<Op, Array<[string, 'none' | 'all' | ops.FusedKernelName[], 'native' | 'fallback']>> = {
  ssmDecodeStep: [
    ['the native kernel', 'none', 'native'],
    ['the composition', 'all', 'fallback'],
  ],
  ssmDecodeStepInPlace: [
    ['the native kernel', 'none', 'native'],
    ['the composition over SsmDecodeStep', ['SsmDecodeStepInPlace'], 'fallback'],
    ['the composition all the way down', 'all', 'fallback'],
  ],
  parallelMixersDecodeStep: [
    ['the native kernel', 'none', 'native'],
    ['the composition over the two in-place kernels', ['ParallelMixersDecodeStep'], 'fallback'],
    ['the composition all the way down', 'all', 'fallback'],
  ],
};

const KERNEL: Record<Op, ops.FusedKernelName> = {
  ssmDecodeStep: 'SsmDecodeStep',
  ssmDecodeStepInPlace: 'SsmDecodeStepInPlace',
  parallelMixersDecodeStep: 'ParallelMixersDecodeStep',
};

const CASES = (['bf16', 'f16'] as const).flatMap((dtype) => [1, 3].map((b) => ({ dtype, b })));

describe('a 16-bit SSM state equals the f32 step on the widened state, rounded once, bit for bit', () => {
  beforeAll(() => ops.useBackend(createReferenceBackend()));
  afterEach(() => ops.setFallbackPolicy('none'));

  describe.each(Object.keys(PATHS) as Op[])('%s', (op) => {
    const gates: ops.SsmGate[] = op === 'parallelMixersDecodeStep' ? ['silu'] : ['silu', 'none'];
    describe.each(PATHS[op])('%s', (_, policy, path) => {
      it.each(CASES.flatMap((c) => gates.map((gate) => ({ ...c, gate }))))(
        '$dtype state, B = $b, gate $gate, three steps',
        ({ dtype, b, gate }) => {
          const host = makeHost(op, b);
          ops.setFallbackPolicy(policy);
          const before = ops.memory().numTensors;
          ops.resetDispatchCounts();
          const sixteen = chain(host, dtype, gate, false);
          expect(ops.dispatchCounts()[KERNEL[op]]?.[path]).toBe(STEPS);
          expect(ops.memory().numTensors).toBe(before);
          const defined = chain(host, dtype, gate, true);
          // y behind the silu gate in the activations' dtype, without it in the state dtype f32 (not the 16-bit one).
          expect(sixteen.outputDType).toBe(gate === 'silu' ? dtype : 'f32');
          for (const key of ['outputs', 'ssmState', 'convState', 'keys', 'values'] as const) {
            expect(sixteen[key], key).toEqual(defined[key]);
          }
          // The steps did write the 16-bit state (a variable of that dtype: a new state of another cannot go in).
          expect(sixteen.ssmState).not.toEqual(sixteen.ssmStateBefore);
        },
      );
    });
  });
});
