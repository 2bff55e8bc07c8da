/**
 * ParallelMixersDecodeStep (native/kernels/parallel_mixers_decode_step.cu): Falcon-H1's SSM step and attention step
 * of one token side by side — the in-place SsmDecodeStep on the addon's stream and AttentionDecodeStep on its side
 * stream, forked after the in-projection and joined before whatever comes next (inside a captured graph: two
 * concurrent nodes) — into one output row [y | o]: the SSM step writes y into the first H·P columns, the attention
 * its heads after them (no prefix copy). The tables and tickets are the two kernels' own backend constants.
 */
import { type KernelAttrs, type KernelInputs, sizeOf, type TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { attentionDecodeStepSupport, decodeStepTables } from './AttentionDecodeStep.js';
import { inPlaceTickets, ssmDecodeStepSupport, ssmStepSizes } from './SsmDecodeStep.js';

type Inputs = KernelInputs<'ParallelMixersDecodeStep'>;
type Attrs = KernelAttrs<'ParallelMixersDecodeStep'>;

export function parallelMixersDecodeStep(backend: CudaBackend, inputs: Inputs, attrs: Attrs): TensorInfo {
  const { qkv, convState, convWeight, convBias, ssmState, dtBias, A, D } = inputs;
  const { positions, keys, values, slots, qSeqIdx, kSeqIdx } = inputs;
  const { B, H, P, G, N, K } = ssmStepSizes(inputs);
  const [, L, , Dh] = keys.shape as [number, number, number, number];
  const { heads, kvHeads } = attrs;
  const out = backend.output([B, H * P + heads * Dh], qkv.dtype);
  const { freq, tickets } = decodeStepTables(backend, attrs.theta, Dh, B, kvHeads);
  backend.ctx.ParallelMixersDecodeStep!(
    backend.id(out),
    backend.id(qkv),
    backend.id(convState),
    backend.id(ssmState),
    backend.id(convWeight),
    backend.idOpt(convBias),
    backend.id(dtBias),
    backend.id(A),
    backend.idOpt(D),
    backend.id(inPlaceTickets(backend, inputs)),
    backend.code(qkv.dtype),
    B,
    H,
    P,
    G,
    N,
    K,
    attrs.activation === 'silu',
    attrs.dtMin,
    attrs.dtMax,
    qkv.shape[1]!,
    attrs.ssmOffset,
    backend.id(keys),
    backend.id(values),
    backend.id(positions),
    backend.id(slots),
    sizeOf(slots.shape) === 1,
    backend.id(qSeqIdx),
    backend.id(kSeqIdx),
    backend.id(freq),
    backend.id(tickets),
    L,
    heads,
    kvHeads,
    Dh,
    attrs.scale,
    attrs.attentionOffset,
    ssmState.dtype !== 'f32',
  );
  return out;
}

/** Both kernels' limits (each runs as it would alone). */
export function parallelMixersDecodeStepSupport(inputs: Inputs, attrs: Attrs, maxSharedBytes: number): true | string {
  const ssm = ssmDecodeStepSupport(inputs, maxSharedBytes);
  if (ssm !== true) return ssm;
  return attentionDecodeStepSupport(
    { ...inputs, prefix: undefined },
    { ...attrs, offset: attrs.attentionOffset },
    maxSharedBytes,
  );
}
