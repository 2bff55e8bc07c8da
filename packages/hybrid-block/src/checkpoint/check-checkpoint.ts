/**
 * Checks the tensors of a checkpoint against the parameters a config needs, before anything is allocated: every
 * parameter present, with its exact shape and a float dtype; no tensor left over. Every problem is reported,
 * each naming its tensor (as transformers' loading report does, but refusing instead of warning: a model that
 * silently misses a weight does not give transformers' numbers).
 */
import type { DType } from '@falcon-h1/core-tensor';
import type { ParameterShape } from '@falcon-h1/mamba2';

export interface TensorHeader {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

const FLOAT_DTYPES: readonly DType[] = ['f32', 'bf16', 'f16', 'f64'];
const SAFETENSORS_NAMES: Record<DType, string> = {
  f64: 'F64',
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  i32: 'I32',
  u8: 'U8',
  i64: 'I64',
};

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * The problems of `tensors` as the parameters `expected`, one message per tensor. `ignorable` names tensors that
 * may be present without being needed (a tied head's `lm_head.weight`).
 */
export function checkpointProblems(
  expected: readonly ParameterShape[],
  tensors: ReadonlyMap<string, TensorHeader>,
  ignorable: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  const wanted = new Set<string>();
  for (const { name, shape } of expected) {
    wanted.add(name);
    const header = tensors.get(name);
    if (!header) {
      problems.push(`missing tensor '${name}' (expected shape ${formatShape(shape)})`);
      continue;
    }
    if (header.shape.length !== shape.length || header.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor '${name}' has shape ${formatShape(header.shape)}, expected ${formatShape(shape)}`);
    }
    if (!FLOAT_DTYPES.includes(header.dtype)) {
      problems.push(
        `tensor '${name}' has dtype ${SAFETENSORS_NAMES[header.dtype]}, expected a float dtype (F32, BF16, F16 or F64)`,
      );
    }
  }
  for (const name of tensors.keys()) {
    if (!wanted.has(name) && !ignorable.has(name))
      problems.push(`unexpected tensor '${name}' (not a parameter of this config)`);
  }
  return problems;
}
