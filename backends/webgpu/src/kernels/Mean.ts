/** Mean over a set of axes (see reduce.ts). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { reduce } from './reduce.js';

export function mean(b: WebGPUBackend, { x }: UnaryInputs, { axes, keepDims }: KernelAttrs<'Mean'>): TensorInfo {
  return reduce(b, 'mean', x, axes, keepDims);
}
