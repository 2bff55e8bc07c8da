/**
 * SsmScan (+Grad) and SsmStep (native/kernels/ssm_scan.cu; f16/bf16 scans run the SSD in matmul form on tensor cores,
 * native/kernels/ssd_tc.cu). States are f32; activations (x, Bm, Cm) f32/f16/bf16; the scan's dt, A and D in
 * the activations' dtype or f32 (a bf16/f16 model's), their gradients in that dtype. y, and the backward's dy, take
 * dt's dtype (f32 for a bf16/f16 model's mixed scan): the trailing paramDtype argument tells the kernels both.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function ssmScan(
  backend: CudaBackend,
  { x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScan'>,
  { chunkSize }: KernelAttrs<'SsmScan'>,
): KernelOutputs<'SsmScan'> {
  const [B, T, H, P] = x.shape as [number, number, number, number];
  const [, , G, N] = Bm.shape as [number, number, number, number];
  const y = backend.output(x.shape, dt.dtype);
  const finalState = backend.output([B, H, P, N], 'f32');
  backend.ctx.SsmScan(
    backend.id(y),
    backend.id(finalState),
    backend.id(x),
    backend.id(dt),
    backend.id(A),
    backend.id(Bm),
    backend.id(Cm),
    backend.idOpt(D),
    backend.idOpt(initialState),
    backend.idOpt(seqIdx),
    backend.code(x.dtype),
    B,
    T,
    H,
    P,
    G,
    N,
    chunkSize,
    backend.code(dt.dtype),
  );
  return { y, finalState };
}

export function ssmScanGrad(
  backend: CudaBackend,
  { dy, dFinalState, x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScanGrad'>,
  { chunkSize }: KernelAttrs<'SsmScanGrad'>,
): KernelOutputs<'SsmScanGrad'> {
  const [B, T, H, P] = x.shape as [number, number, number, number];
  const [, , G, N] = Bm.shape as [number, number, number, number];
  const dx = backend.output(x.shape, x.dtype);
  const ddt = backend.output(dt.shape, dt.dtype);
  const dA = backend.output(A.shape, A.dtype);
  const dBm = backend.output(Bm.shape, Bm.dtype);
  const dCm = backend.output(Cm.shape, Cm.dtype);
  const dD = D ? backend.output(D.shape, D.dtype) : undefined;
  const dinitialState = initialState ? backend.output(initialState.shape, initialState.dtype) : undefined;
  backend.ctx.SsmScanGrad(
    backend.id(dx),
    backend.id(ddt),
    backend.id(dA),
    backend.id(dBm),
    backend.id(dCm),
    backend.idOpt(dD),
    backend.idOpt(dinitialState),
    backend.id(dy),
    backend.idOpt(dFinalState),
    backend.id(x),
    backend.id(dt),
    backend.id(A),
    backend.id(Bm),
    backend.id(Cm),
    backend.idOpt(D),
    backend.idOpt(initialState),
    backend.idOpt(seqIdx),
    backend.code(x.dtype),
    B,
    T,
    H,
    P,
    G,
    N,
    chunkSize,
    backend.code(dt.dtype),
  );
  const out: KernelOutputs<'SsmScanGrad'> = { dx, ddt, dA, dBm, dCm };
  if (dD) out.dD = dD;
  if (dinitialState) out.dinitialState = dinitialState;
  return out;
}

export function ssmStep(
  backend: CudaBackend,
  { state, x, dt, A, Bm, Cm, D }: KernelInputs<'SsmStep'>,
): KernelOutputs<'SsmStep'> {
  const [B, H, P, N] = state.shape as [number, number, number, number];
  const G = Bm.shape[1]!;
  const y = backend.output(x.shape, x.dtype);
  const newState = backend.output(state.shape, state.dtype);
  backend.ctx.SsmStep(
    backend.id(y),
    backend.id(newState),
    backend.id(state),
    backend.id(x),
    backend.id(dt),
    backend.id(A),
    backend.id(Bm),
    backend.id(Cm),
    backend.idOpt(D),
    backend.code(x.dtype),
    B,
    H,
    P,
    G,
    N,
  );
  return { y, state: newState };
}
