/** ArgMax: i32 index of the first maximum along `axis` (NaN is the largest value). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { argMax as run } from './reduce.js';

export function argMax(b: WebGPUBackend, { x }: UnaryInputs, { axis }: KernelAttrs<'ArgMax'>): TensorInfo {
  return run(b, x, axis);
}
