import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

/** GPT-NeoX rotary embedding, angles pinned to f32 as transformers computes them: csrc/kernels/Rope.c */
export function rope(
  backend: WasmBackend,
  { x, positions }: KernelInputs<'Rope'>,
  attrs: KernelAttrs<'Rope'>,
): TensorInfo {
  const [B, T, H, Dh] = x.shape as [number, number, number, number];
  if (Dh % 2 !== 0) throw new Error(`Rope: the head dim must be even, got ${Dh}`);
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._Rope(
    out.ptr,
    backend.ptr(x),
    backend.ptr(positions),
    B * T,
    H,
    Dh,
    attrs.theta,
    attrs.inverse ? 1 : 0,
    dtypeCode(x.dtype),
  );
  return out.info;
}
