/** Scale: y = x·scale + shift, float dtypes, computed in f32. */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { runUnary } from './elementwise-factories.js';

export function scale(b: WebGPUBackend, { x }: UnaryInputs, { scale, shift }: KernelAttrs<'Scale'>): TensorInfo {
  return runUnary(b, 'Scale', 'return v * P.a + P.b;', x, { a: scale, b: shift });
}
