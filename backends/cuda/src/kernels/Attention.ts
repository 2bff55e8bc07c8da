/** Attention (+Grad) (native/kernels/attention.cu): FlashAttention-style GQA with causal and document masks. */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

function dimsOf(q: TensorInfo, v: TensorInfo): [number, number, number, number, number, number, number] {
  const [B, T, Hq, Dh] = q.shape as [number, number, number, number];
  const [, S, Hkv, Dv] = v.shape as [number, number, number, number];
  return [B, T, S, Hq, Hkv, Dh, Dv];
}

export function attention(
  backend: CudaBackend,
  { q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'Attention'>,
  { scale, causal }: KernelAttrs<'Attention'>,
): TensorInfo {
  const [B, T, S, Hq, Hkv, Dh, Dv] = dimsOf(q, v);
  const out = backend.output([B, T, Hq, Dv], q.dtype);
  backend.ctx.Attention(
    backend.id(out),
    backend.id(q),
    backend.id(k),
    backend.id(v),
    backend.idOpt(qSeqIdx),
    backend.idOpt(kSeqIdx),
    backend.code(q.dtype),
    B,
    T,
    S,
    Hq,
    Hkv,
    Dh,
    Dv,
    scale,
    causal,
  );
  return out;
}

export function attentionGrad(
  backend: CudaBackend,
  { dy, q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'AttentionGrad'>,
  { scale, causal }: KernelAttrs<'AttentionGrad'>,
): KernelOutputs<'AttentionGrad'> {
  const [B, T, S, Hq, Hkv, Dh, Dv] = dimsOf(q, v);
  const dq = backend.output(q.shape, q.dtype);
  const dk = backend.output(k.shape, k.dtype);
  const dv = backend.output(v.shape, v.dtype);
  backend.ctx.AttentionGrad(
    backend.id(dq),
    backend.id(dk),
    backend.id(dv),
    backend.id(dy),
    backend.id(q),
    backend.id(k),
    backend.id(v),
    backend.idOpt(qSeqIdx),
    backend.idOpt(kSeqIdx),
    backend.code(q.dtype),
    B,
    T,
    S,
    Hq,
    Hkv,
    Dh,
    Dv,
    scale,
    causal,
  );
  return { dq, dk, dv };
}
