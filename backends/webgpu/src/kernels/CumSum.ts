/** CumSum: inclusive/exclusive, forward/reverse prefix sums along `axis`, accumulated in f32 (i32 for i32). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { cumSum as run } from './reduce.js';

export function cumSum(
  b: WebGPUBackend,
  { x }: UnaryInputs,
  { axis, exclusive, reverse }: KernelAttrs<'CumSum'>,
): TensorInfo {
  return run(b, x, axis, exclusive, reverse);
}
