/**
 * AddRmsNormMatMul: this backend's AddRmsNorm kernel, then its MatMul of the stored normed rows by weightᵀ — the
 * same functions the unfused sequence runs, so the bits are the same. x, residual [..., D], normWeight [D],
 * weight [N, D]; outputs sum [..., D] and y [..., N]. The normed buffer is freed before returning.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { addRmsNorm } from './AddRmsNorm.js';
import { projectRows } from './project-rows.js';

export function addRmsNormMatMul(
  store: BufferStore,
  { x, residual, normWeight, weight }: KernelInputs<'AddRmsNormMatMul'>,
  attrs: KernelAttrs<'AddRmsNormMatMul'>,
): KernelOutputs<'AddRmsNormMatMul'> {
  const { sum, normed } = addRmsNorm(store, { x, residual, weight: normWeight }, attrs);
  return { sum, y: projectRows(store, normed, weight) };
}
