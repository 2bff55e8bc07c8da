/**
 * SsmDecodeStep (native/kernels/ssm_decode_step.cu): the Mamba2 mixer's decode step after in_proj in one launch —
 * the conv update, dt, the SSM state update and y·silu(z), from the packed projection of one token. Activations
 * (zxbcdt, the conv state, weight and bias) f32/f16/bf16; ssmState, dtBias, A and D f32. y takes the activations'
 * dtype behind the gate, f32 without it (a gated norm follows).
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function ssmDecodeStep(
  backend: CudaBackend,
  { zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D }: KernelInputs<'SsmDecodeStep'>,
  { activation, gate, dtMin, dtMax }: KernelAttrs<'SsmDecodeStep'>,
): KernelOutputs<'SsmDecodeStep'> {
  const [B, H, P, N] = ssmState.shape as [number, number, number, number];
  const [, convDim, K] = convState.shape as [number, number, number];
  const G = (convDim - H * P) / (2 * N);
  const y = backend.output([B, H * P], gate === 'silu' ? zxbcdt.dtype : 'f32');
  const nextConv = backend.output(convState.shape, convState.dtype);
  const nextState = backend.output(ssmState.shape, ssmState.dtype);
  backend.ctx.SsmDecodeStep(
    backend.id(y),
    backend.id(nextConv),
    backend.id(nextState),
    backend.id(zxbcdt),
    backend.id(convState),
    backend.id(convWeight),
    backend.idOpt(convBias),
    backend.id(ssmState),
    backend.id(dtBias),
    backend.id(A),
    backend.idOpt(D),
    backend.code(zxbcdt.dtype),
    B,
    H,
    P,
    G,
    N,
    K,
    activation === 'silu',
    gate === 'silu',
    dtMin,
    dtMax,
  );
  return { y, convState: nextConv, ssmState: nextState };
}

/** The state, conv, group and row limits of the kernel (one block's shared memory holds 2N + 16 floats). */
export function ssmDecodeStepSupport(
  { ssmState }: Pick<KernelInputs<'SsmDecodeStep'>, 'ssmState'>,
  maxShared: number,
): true | string {
  const [B, H, , N] = ssmState.shape as [number, number, number, number];
  if ((2 * N + 16) * 4 > maxShared) return `d_state = ${N} needs more shared memory than one block has`;
  if (B > 65535 || H > 65535) return `at most 65535 batch rows and heads, got B = ${B}, H = ${H}`;
  return true;
}
