/** Clamp: y = min(max(x, min), max); the bounds may be ±Infinity; NaN stays NaN. */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { runUnary } from './elementwise-factories.js';

export function clamp(b: WebGPUBackend, { x }: UnaryInputs, { min, max }: KernelAttrs<'Clamp'>): TensorInfo {
  return runUnary(b, 'Clamp', 'if (is_nan(v)) { return v; }\n  return min(max(v, P.a), P.b);', x, { a: min, b: max });
}
