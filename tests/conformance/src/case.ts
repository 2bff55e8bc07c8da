/**
 * A conformance case: a named computation written with core ops, its inputs (drawn from a seeded PRNG), and which
 * kernel it certifies. The runner executes it on the backend under test and on the reference backend in float64,
 * forward and (for differentiable inputs) backward, and compares.
 */
import type { DType, KernelName, Tensor } from '@falcon-h1/core-tensor';
import type { Rng } from './random.js';

/** An input: float inputs are drawn in f64 and rounded to the dtype under test; i32/u8 inputs are used as is. */
export interface CaseInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: 'float' | 'i32' | 'u8' | 'state';
  readonly values: ArrayLike<number>;
  /** Float inputs only: include in the backward check (default true). */
  readonly differentiable?: boolean;
}

export type CaseOutputs = Tensor | Readonly<Record<string, Tensor>>;

export interface ConformanceCase {
  /** The kernel certified, e.g. 'SsmScan'. */
  readonly kernel: KernelName;
  /** The case's parameters, printed and filterable, e.g. 'B=2,T=37,H=4,P=5,G=2,N=3,chunk=8,seqIdx'. */
  readonly params: string;
  /** Optional tag such as 'Falcon-H1-0.5B' when shapes come from a published config. */
  readonly tag?: string;
  inputs(rng: Rng): CaseInput[];
  /** The computation, with tensors keyed by input name. Must only use core ops. */
  run(inputs: Readonly<Record<string, Tensor>>): CaseOutputs;
  /** Check gradients too (default: true when some float input is differentiable and an output is float). */
  readonly backward?: boolean;
  /** Dtypes this case is meaningful for (default: every float dtype). */
  readonly dtypes?: readonly ('f32' | 'f16' | 'bf16' | 'f64')[];
  /** Dtypes the backend must support beyond the one under test (otherwise the case is reported as unsupported). */
  readonly requires?: readonly DType[];
  /** Multiplies the dtype tolerance (for cases with long reductions in 16-bit; never for f32). */
  readonly toleranceScale16?: number;
}

export function caseName(c: ConformanceCase): string {
  return `${c.kernel}(${c.params})${c.tag ? ` [${c.tag}]` : ''}`;
}
