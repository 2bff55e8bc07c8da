import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

/**
 * The Mamba2 selective scan (SSD): csrc/kernels/SsmScan.c. y takes dt's dtype (x's, or f32 when 16-bit x/B/C come
 * with f32 dt/A/D). Every float tensor is f32 storage here and the C kernel's `rnd` argument is only the rounding of
 * y, so passing dt's dtype code gives that dtype without touching the C side. In the backward dy is f32 storage
 * whatever its dtype, so dy in y's dtype needs nothing either.
 */
export function ssmScan(
  backend: WasmBackend,
  { x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScan'>,
  { chunkSize }: KernelAttrs<'SsmScan'>,
): KernelOutputs<'SsmScan'> {
  const [B, T, H, P] = x.shape as [number, number, number, number];
  const [, , G, N] = Bm.shape as [number, number, number, number];
  const y = backend.allocate(x.shape, dt.dtype);
  const finalState = backend.allocate([B, H, P, N], 'f32');
  backend.m._SsmScan(
    y.ptr,
    finalState.ptr,
    backend.ptr(x),
    backend.ptr(dt),
    backend.ptr(A),
    backend.ptr(Bm),
    backend.ptr(Cm),
    backend.optionalPtr(D),
    backend.optionalPtr(initialState),
    backend.optionalPtr(seqIdx),
    B,
    T,
    H,
    P,
    G,
    N,
    chunkSize,
    dtypeCode(dt.dtype), // y's rounding
  );
  return { y: y.info, finalState: finalState.info };
}

export function ssmScanGrad(
  backend: WasmBackend,
  { dy, dFinalState, x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScanGrad'>,
  { chunkSize }: KernelAttrs<'SsmScanGrad'>,
): KernelOutputs<'SsmScanGrad'> {
  const [B, T, H, P] = x.shape as [number, number, number, number];
  const [, , G, N] = Bm.shape as [number, number, number, number];
  const dx = backend.allocate(x.shape, x.dtype);
  const ddt = backend.allocate(dt.shape, dt.dtype);
  const dA = backend.allocate(A.shape, A.dtype);
  const dBm = backend.allocate(Bm.shape, Bm.dtype);
  const dCm = backend.allocate(Cm.shape, Cm.dtype);
  const dD = D ? backend.allocate(D.shape, D.dtype) : undefined;
  const dinit = initialState ? backend.allocate(initialState.shape, initialState.dtype) : undefined;
  backend.m._SsmScanGrad(
    dx.ptr,
    ddt.ptr,
    dA.ptr,
    dBm.ptr,
    dCm.ptr,
    dD?.ptr ?? 0,
    dinit?.ptr ?? 0,
    backend.ptr(dy),
    backend.optionalPtr(dFinalState),
    backend.ptr(x),
    backend.ptr(dt),
    backend.ptr(A),
    backend.ptr(Bm),
    backend.ptr(Cm),
    backend.optionalPtr(D),
    backend.optionalPtr(initialState),
    backend.optionalPtr(seqIdx),
    B,
    T,
    H,
    P,
    G,
    N,
    chunkSize,
    dtypeCode(x.dtype),
    dtypeCode(dt.dtype),
    dtypeCode(Bm.dtype),
    dtypeCode(A.dtype),
    D ? dtypeCode(D.dtype) : 0,
  );
  const out: KernelOutputs<'SsmScanGrad'> = { dx: dx.info, ddt: ddt.info, dA: dA.info, dBm: dBm.info, dCm: dCm.info };
  if (dD) out.dD = dD.info;
  if (dinit) out.dinitialState = dinit.info;
  return out;
}
