/**
 * AddRmsNormSwiGluMlp: this backend's AddRmsNormMatMul (gate|up), then its SwiGluPackedMatMul (down) — the same
 * functions the unfused sequence runs, so the bits are the same. x, residual [..., D], normWeight [D],
 * gateUpWeight [2I, D], downWeight [N, I]; outputs sum [..., D] and y [..., N]. The packed gate|up rows are freed
 * before returning.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { addRmsNormMatMul } from './AddRmsNormMatMul.js';
import { swiGluPackedMatMul } from './SwiGluPackedMatMul.js';

export function addRmsNormSwiGluMlp(
  store: BufferStore,
  { x, residual, normWeight, gateUpWeight, downWeight }: KernelInputs<'AddRmsNormSwiGluMlp'>,
  { eps, gateMultiplier }: KernelAttrs<'AddRmsNormSwiGluMlp'>,
): KernelOutputs<'AddRmsNormSwiGluMlp'> {
  const { sum, y: gateUp } = addRmsNormMatMul(store, { x, residual, normWeight, weight: gateUpWeight }, { eps });
  const y = swiGluPackedMatMul(store, { gateUp, weight: downWeight }, { gateMultiplier });
  store.dispose(gateUp.dataId);
  return { sum, y };
}
