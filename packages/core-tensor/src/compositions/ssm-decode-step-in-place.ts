/**
 * SsmDecodeStepInPlace composed from the kernels it fuses: a Slice of the step's columns out of the wider packed
 * row (none when the row holds just them), SsmDecodeStep (the backend's native kernel where it has one, else its
 * composition), and the next states written into the state variables with `overwrite` — as CacheWrite's
 * composition writes its cache. So a backend with SsmDecodeStep but no in-place kernel runs its out-of-place kernel
 * into temporaries and copies them into the states (on WebGPU a buffer copy in the same command encoder), which is
 * race-free however the kernel splits the work.
 */
import { runFused } from '../fused-dispatch.js';
import { overwrite } from '../graph-capture.js';
import type { KernelAttrs } from '../kernel-contract.js';
import type { SsmDecodeStepInPlaceInputs } from '../ops/fused/ssm-decode-step-in-place.js';
import { sliceAxis } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { composeSsmDecodeStep } from './ssm-decode-step.js';

/** y [B, dSsm]; writes convState and ssmState in place. The caller runs it under `tidy`. */
export function composeSsmDecodeStepInPlace(
  inputs: SsmDecodeStepInPlaceInputs,
  { offset, ...attrs }: KernelAttrs<'SsmDecodeStepInPlace'>,
): Tensor {
  const { zxbcdt, convState, ssmState } = inputs;
  const h = ssmState.shape[1]!;
  const width = h * ssmState.shape[2]! + convState.shape[1]! + h;
  const columns = offset === 0 && zxbcdt.shape[1] === width ? zxbcdt : sliceAxis(zxbcdt, 1, offset, width);
  const next = runFused('SsmDecodeStep', { ...inputs, zxbcdt: columns }, attrs, composeSsmDecodeStep);
  overwrite(convState, next.convState);
  overwrite(ssmState, next.ssmState);
  return next.y;
}
