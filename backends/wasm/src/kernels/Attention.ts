import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

function dims(q: TensorInfo, v: TensorInfo) {
  const [B, T, Hq, Dh] = q.shape as [number, number, number, number];
  const [, S, Hkv, Dv] = v.shape as [number, number, number, number];
  return { B, T, Hq, Dh, S, Hkv, Dv };
}

/** Grouped-query attention with an online softmax (no T×S scores stored): csrc/kernels/Attention.c */
export function attention(
  backend: WasmBackend,
  { q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'Attention'>,
  { scale, causal }: KernelAttrs<'Attention'>,
): TensorInfo {
  if ((qSeqIdx === undefined) !== (kSeqIdx === undefined)) {
    throw new Error('Attention: qSeqIdx and kSeqIdx must be given together');
  }
  const { B, T, Hq, Dh, S, Hkv, Dv } = dims(q, v);
  const out = backend.allocate([B, T, Hq, Dv], q.dtype);
  backend.m._Attention(
    out.ptr,
    backend.ptr(q),
    backend.ptr(k),
    backend.ptr(v),
    backend.optionalPtr(qSeqIdx),
    backend.optionalPtr(kSeqIdx),
    B,
    T,
    S,
    Hq,
    Hkv,
    Dh,
    Dv,
    scale,
    causal ? 1 : 0,
    dtypeCode(q.dtype),
  );
  return out.info;
}

export function attentionGrad(
  backend: WasmBackend,
  { dy, q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'AttentionGrad'>,
  { scale, causal }: KernelAttrs<'AttentionGrad'>,
): KernelOutputs<'AttentionGrad'> {
  const { B, T, Hq, Dh, S, Hkv, Dv } = dims(q, v);
  const dq = backend.allocate(q.shape, q.dtype);
  const dk = backend.allocate(k.shape, k.dtype);
  const dv = backend.allocate(v.shape, v.dtype);
  backend.m._AttentionGrad(
    dq.ptr,
    dk.ptr,
    dv.ptr,
    backend.ptr(dy),
    backend.ptr(q),
    backend.ptr(k),
    backend.ptr(v),
    backend.optionalPtr(qSeqIdx),
    backend.optionalPtr(kSeqIdx),
    B,
    T,
    S,
    Hq,
    Hkv,
    Dh,
    Dv,
    scale,
    causal ? 1 : 0,
    dtypeCode(q.dtype),
  );
  return { dq: dq.info, dk: dk.info, dv: dv.info };
}
