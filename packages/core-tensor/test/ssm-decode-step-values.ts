/**
 * A Mamba2 decode step's weights and states for tests (B rows, H heads of P, G groups of N, conv width K): their
 * shapes and dtypes (the conv tensors in the activations' dtype, the SSM tensors f32), and host values drawn with
 * deterministic-values.ts.
 */
import type { DType } from '../src/index.js';
import { values } from './deterministic-values.js';

export type SsmSizes = Record<'b' | 'h' | 'p' | 'g' | 'n' | 'k', number>;

/** dSsm = H·P, the conv channels dSsm + 2·G·N, and the step's dSsm + conv + H columns of the packed row. */
export function ssmStepWidths({ h, p, g, n }: Pick<SsmSizes, 'h' | 'p' | 'g' | 'n'>) {
  const dSsm = h * p;
  const conv = dSsm + 2 * g * n;
  return { dSsm, conv, step: dSsm + conv + h };
}

/** [shape, dtype] of convState, convWeight, convBias, ssmState, dtBias, A and D. */
export function ssmDecodeStepShapes({ b, h, p, g, n, k }: SsmSizes, activations: DType) {
  const conv = h * p + 2 * g * n;
  return {
    convState: [[b, conv, k], activations],
    convWeight: [[conv, k], activations],
    convBias: [[conv], activations],
    ssmState: [[b, h, p, n], 'f32'],
    dtBias: [[h], 'f32'],
    A: [[h], 'f32'],
    D: [[h], 'f32'],
  } satisfies Record<string, [number[], DType]>;
}

/**
 * Values from seeds seed + 1 … seed + 7: conv weight and bias scaled down, dt_bias halved, A negative (−exp(A_log)),
 * the states in [−2, 2).
 */
export function ssmDecodeStepValues({ b, h, p, g, n, k }: SsmSizes, seed: number) {
  const conv = h * p + 2 * g * n;
  return {
    convState: values(b * conv * k, seed + 1),
    convWeight: values(conv * k, seed + 2).map((v) => v / 2),
    convBias: values(conv, seed + 3).map((v) => v / 4),
    ssmState: values(b * h * p * n, seed + 4),
    dtBias: values(h, seed + 5).map((v) => v / 2),
    A: values(h, seed + 6).map((v) => -Math.abs(v) - 0.1),
    D: values(h, seed + 7),
  };
}
