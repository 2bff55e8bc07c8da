/** CausalConv1d (+Grad) and CausalConv1dUpdate (native/kernels/causal_conv1d.cu). */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function causalConv1d(
  backend: CudaBackend,
  { x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1d'>,
  { activation }: KernelAttrs<'CausalConv1d'>,
): TensorInfo {
  const [B, T, C] = x.shape as [number, number, number];
  const K = weight.shape[1]!;
  const out = backend.output(x.shape, x.dtype);
  backend.ctx.CausalConv1d(
    backend.id(out),
    backend.id(x),
    backend.id(weight),
    backend.idOpt(bias),
    backend.idOpt(initialState),
    backend.idOpt(seqIdx),
    backend.code(x.dtype),
    B,
    T,
    C,
    K,
    activation === 'silu',
  );
  return out;
}

export function causalConv1dGrad(
  backend: CudaBackend,
  { dy, x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1dGrad'>,
  { activation }: KernelAttrs<'CausalConv1dGrad'>,
): KernelOutputs<'CausalConv1dGrad'> {
  const [B, T, C] = x.shape as [number, number, number];
  const K = weight.shape[1]!;
  const dx = backend.output(x.shape, x.dtype);
  const dweight = backend.output(weight.shape, weight.dtype);
  const dbias = bias ? backend.output(bias.shape, bias.dtype) : undefined;
  const dinitialState = initialState ? backend.output(initialState.shape, initialState.dtype) : undefined;
  backend.ctx.CausalConv1dGrad(
    backend.id(dx),
    backend.id(dweight),
    backend.idOpt(dbias),
    backend.idOpt(dinitialState),
    backend.id(dy),
    backend.id(x),
    backend.id(weight),
    backend.idOpt(bias),
    backend.idOpt(initialState),
    backend.idOpt(seqIdx),
    backend.code(x.dtype),
    B,
    T,
    C,
    K,
    activation === 'silu',
  );
  const out: KernelOutputs<'CausalConv1dGrad'> = { dx, dweight };
  if (dbias) out.dbias = dbias;
  if (dinitialState) out.dinitialState = dinitialState;
  return out;
}

export function causalConv1dUpdate(
  backend: CudaBackend,
  { convState, x, weight, bias }: KernelInputs<'CausalConv1dUpdate'>,
  { activation }: KernelAttrs<'CausalConv1dUpdate'>,
): KernelOutputs<'CausalConv1dUpdate'> {
  const [B, C, K] = convState.shape as [number, number, number];
  const y = backend.output(x.shape, x.dtype);
  const state = backend.output(convState.shape, convState.dtype);
  backend.ctx.CausalConv1dUpdate(
    backend.id(y),
    backend.id(state),
    backend.id(convState),
    backend.id(x),
    backend.id(weight),
    backend.idOpt(bias),
    backend.code(x.dtype),
    B,
    C,
    K,
    activation === 'silu',
  );
  return { y, convState: state };
}
