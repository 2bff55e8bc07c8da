/** Sum over a set of axes (see reduce.ts). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { reduce } from './reduce.js';

export function sum(b: WebGPUBackend, { x }: UnaryInputs, { axes, keepDims }: KernelAttrs<'Sum'>): TensorInfo {
  return reduce(b, 'sum', x, axes, keepDims);
}
