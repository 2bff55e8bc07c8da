/**
 * SwiGluPackedMatMul: this backend's SwiGluPacked kernel, then its MatMul of the stored activation by weightᵀ — the
 * same functions the unfused sequence runs, so the bits are the same. gateUp [..., 2I], weight [N, I]; y [..., N].
 * The activation's buffer is freed before returning.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { projectRows } from './project-rows.js';
import { swiGluPacked } from './SwiGluPacked.js';

export function swiGluPackedMatMul(
  store: BufferStore,
  { gateUp, weight }: KernelInputs<'SwiGluPackedMatMul'>,
  attrs: KernelAttrs<'SwiGluPackedMatMul'>,
): TensorInfo {
  return projectRows(store, swiGluPacked(store, { gateUp }, attrs), weight);
}
