/** Max over a set of axes (see reduce.ts). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { reduce } from './reduce.js';

export function max(b: WebGPUBackend, { x }: UnaryInputs, { axes, keepDims }: KernelAttrs<'Max'>): TensorInfo {
  return reduce(b, 'max', x, axes, keepDims);
}
