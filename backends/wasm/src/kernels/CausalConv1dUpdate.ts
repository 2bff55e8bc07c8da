import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

/** One decode step of CausalConv1d: csrc/kernels/CausalConv1dUpdate.c */
export function causalConv1dUpdate(
  backend: WasmBackend,
  { convState, x, weight, bias }: KernelInputs<'CausalConv1dUpdate'>,
  { activation }: KernelAttrs<'CausalConv1dUpdate'>,
): KernelOutputs<'CausalConv1dUpdate'> {
  const [B, C, K] = convState.shape as [number, number, number];
  const y = backend.allocate(x.shape, x.dtype);
  const state = backend.allocate(convState.shape, convState.dtype);
  backend.m._CausalConv1dUpdate(
    y.ptr,
    state.ptr,
    backend.ptr(convState),
    backend.ptr(x),
    backend.ptr(weight),
    backend.optionalPtr(bias),
    B,
    C,
    K,
    activation === 'silu' ? 1 : 0,
    dtypeCode(x.dtype),
    dtypeCode(convState.dtype),
  );
  return { y: y.info, convState: state.info };
}
