import type { KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

/** One decode step of the scan: csrc/kernels/SsmStep.c */
export function ssmStep(
  backend: WasmBackend,
  { state, x, dt, A, Bm, Cm, D }: KernelInputs<'SsmStep'>,
): KernelOutputs<'SsmStep'> {
  const [B, H, P, N] = state.shape as [number, number, number, number];
  const G = Bm.shape[1]!;
  const y = backend.allocate(x.shape, x.dtype);
  const newState = backend.allocate(state.shape, state.dtype);
  backend.m._SsmStep(
    y.ptr,
    newState.ptr,
    backend.ptr(state),
    backend.ptr(x),
    backend.ptr(dt),
    backend.ptr(A),
    backend.ptr(Bm),
    backend.ptr(Cm),
    backend.optionalPtr(D),
    B,
    H,
    P,
    G,
    N,
    dtypeCode(x.dtype),
  );
  return { y: y.info, state: newState.info };
}
