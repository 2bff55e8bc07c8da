/**
 * SsmDecodeStep and SsmDecodeStepInPlace (native/kernels/ssm_decode_step.cu): the Mamba2 mixer's decode step after
 * in_proj in one launch — the conv update, dt, the SSM state update and y·silu(z), from the packed projection of one
 * token. Activations (zxbcdt, the conv state, weight and bias) f32/f16/bf16; ssmState, dtBias, A and D f32. y takes
 * the activations' dtype behind the gate, f32 without it (a gated norm follows).
 *
 * In place, the kernel writes the states over themselves; the group's B/C conv windows, which every block of the
 * group reads, are written by the last block to finish reading them. Its tickets (B·G zeroed words, left zeroed by
 * every launch) are a backend constant made on the first (eager) call, so a captured step uploads nothing.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

type StepInputs = KernelInputs<'SsmDecodeStep'>;
type StepAttrs = KernelAttrs<'SsmDecodeStep'>;

/** Where the launch writes the states: new buffers, or over the inputs (with the group tickets). */
interface StateTargets {
  convState: TensorInfo;
  ssmState: TensorInfo;
  tickets: TensorInfo | undefined;
}

function launch(
  backend: CudaBackend,
  { zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D }: StepInputs,
  { activation, gate, dtMin, dtMax }: StepAttrs,
  offset: number,
  targets: StateTargets,
): TensorInfo {
  const { B, H, P, G, N, K } = ssmStepSizes({ convState, ssmState });
  const y = backend.output([B, H * P], gate === 'silu' ? zxbcdt.dtype : 'f32');
  backend.ctx.SsmDecodeStep(
    backend.id(y),
    backend.id(targets.convState),
    backend.id(targets.ssmState),
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
    backend.idOpt(targets.tickets),
    zxbcdt.shape[1]!,
    offset,
    ssmState.dtype !== 'f32',
  );
  return y;
}

export function ssmDecodeStep(
  backend: CudaBackend,
  inputs: StepInputs,
  attrs: StepAttrs,
): KernelOutputs<'SsmDecodeStep'> {
  const convState = backend.output(inputs.convState.shape, inputs.convState.dtype);
  const ssmState = backend.output(inputs.ssmState.shape, inputs.ssmState.dtype);
  const y = launch(backend, inputs, attrs, 0, { convState, ssmState, tickets: undefined });
  return { y, convState, ssmState };
}

export function ssmDecodeStepInPlace(
  backend: CudaBackend,
  inputs: KernelInputs<'SsmDecodeStepInPlace'>,
  { offset, ...attrs }: KernelAttrs<'SsmDecodeStepInPlace'>,
): TensorInfo {
  const tickets = inPlaceTickets(backend, inputs);
  return launch(backend, inputs, attrs, offset, { convState: inputs.convState, ssmState: inputs.ssmState, tickets });
}

type StateShapes = Pick<KernelInputs<'SsmDecodeStep'>, 'convState' | 'ssmState'>;

/** The step's sizes from its states: ssmState [B, H, P, N], convState [B, convDim, K], G = (convDim − H·P) / (2N). */
export function ssmStepSizes({ convState, ssmState }: StateShapes): Record<'B' | 'H' | 'P' | 'G' | 'N' | 'K', number> {
  const [B, H, P, N] = ssmState.shape as [number, number, number, number];
  const [, convDim, K] = convState.shape as [number, number, number];
  return { B, H, P, G: (convDim - H * P) / (2 * N), N, K };
}

/** The in-place step's B·G group tickets (a backend constant: an f32 constant of zeros is, bit for bit, zeroed u32 words). */
export function inPlaceTickets(backend: CudaBackend, states: StateShapes): TensorInfo {
  const { B, G } = ssmStepSizes(states);
  return backend.constant(`ssm-decode-step:tickets:${B * G}`, () => new Float32Array(B * G));
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
