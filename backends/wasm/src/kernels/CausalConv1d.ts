import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode, F32 } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Causal depthwise conv1d + bias + activation, with document resets: csrc/kernels/CausalConv1d.c */
export function causalConv1d(
  backend: WasmBackend,
  { x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1d'>,
  { activation }: KernelAttrs<'CausalConv1d'>,
): TensorInfo {
  const [B, T, C] = x.shape as [number, number, number];
  const K = weight.shape[1]!;
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._CausalConv1d(
    out.ptr,
    backend.ptr(x),
    backend.ptr(weight),
    backend.optionalPtr(bias),
    backend.optionalPtr(initialState),
    backend.optionalPtr(seqIdx),
    B,
    T,
    C,
    K,
    activation === 'silu' ? 1 : 0,
    dtypeCode(x.dtype),
  );
  return out.info;
}

export function causalConv1dGrad(
  backend: WasmBackend,
  { dy, x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1dGrad'>,
  { activation }: KernelAttrs<'CausalConv1dGrad'>,
): KernelOutputs<'CausalConv1dGrad'> {
  const [B, T, C] = x.shape as [number, number, number];
  const K = weight.shape[1]!;
  const dx = backend.allocate(x.shape, x.dtype);
  const dweight = backend.allocate(weight.shape, weight.dtype);
  const dbias = bias ? backend.allocate(bias.shape, bias.dtype) : undefined;
  const dinit = initialState ? backend.allocate(initialState.shape, initialState.dtype) : undefined;
  backend.m._CausalConv1dGrad(
    dx.ptr,
    dweight.ptr,
    dbias?.ptr ?? 0,
    dinit?.ptr ?? 0,
    backend.ptr(dy),
    backend.ptr(x),
    backend.ptr(weight),
    backend.optionalPtr(bias),
    backend.optionalPtr(initialState),
    backend.optionalPtr(seqIdx),
    B,
    T,
    C,
    K,
    activation === 'silu' ? 1 : 0,
    dtypeCode(x.dtype),
    dtypeCode(weight.dtype),
    initialState ? dtypeCode(initialState.dtype) : F32,
  );
  const out: KernelOutputs<'CausalConv1dGrad'> = { dx: dx.info, dweight: dweight.info };
  if (dbias) out.dbias = dbias.info;
  if (dinit) out.dinitialState = dinit.info;
  return out;
}
