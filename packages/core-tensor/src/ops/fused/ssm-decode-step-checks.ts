/**
 * The input rules ssmDecodeStep and ssmDecodeStepInPlace share: the sizes come from the states (H, P, N from
 * ssmState [B, H, P, N], convDim and K from convState [B, convDim, K], G = (convDim − H·P) / 2N), the conv tensors
 * share the packed projection's dtype, dtBias, A and D are in the state dtype, and ssmState is too — or, a 16-bit
 * state, in the projection's dtype when that is f16/bf16. Each refusal names the op, the input and the shape it wants.
 */
import { type DType, isFloatDType } from '../../dtype.js';
import type { KernelAttrs } from '../../kernel-contract.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';
import { checkColumnOffset, checkWrittenInPlace } from './in-place-checks.js';
import type { SsmDecodeStepInputs, SsmDecodeStepOptions } from './ssm-decode-step.js';
import type { SsmDecodeStepInPlaceInputs, SsmDecodeStepInPlaceOptions } from './ssm-decode-step-in-place.js';
import { ssmStateDType } from './ssm-scan.js';

function expectShape(where: string, what: string, t: Tensor | undefined, dtype: string, shape: readonly number[]) {
  if (!t) return;
  if (t.dtype !== dtype || formatShape(t.shape) !== formatShape(shape)) {
    throw new Error(`${where}: ${what} must be ${dtype}${formatShape(shape)}, got ${t.dtype}${formatShape(t.shape)}`);
  }
}

/**
 * ssmState's dtype: the state dtype (f32; f64 for f64 activations), or the activations' own when they are f16/bf16
 * (a 16-bit state: the step widens it to f32 on load and rounds the new state to it once on store).
 */
function checkSsmState(where: string, ssmState: Tensor, activations: DType, shape: readonly number[]): void {
  const state = ssmStateDType(activations);
  const sixteen = activations === 'f16' || activations === 'bf16';
  if (ssmState.dtype === state || (sixteen && ssmState.dtype === activations)) {
    expectShape(where, 'ssmState', ssmState, ssmState.dtype, shape);
    return;
  }
  const want = formatShape(shape);
  let allowed = `${state}${want}`;
  if (sixteen) allowed += ` or ${activations}${want} (a 16-bit state has the activations' dtype, ${activations})`;
  else if (ssmState.dtype === 'f16' || ssmState.dtype === 'bf16') {
    allowed += ` (a 16-bit state needs f16/bf16 activations of its dtype; these are ${activations})`;
  }
  throw new Error(`${where}: ssmState must be ${allowed}, got ${ssmState.dtype}${formatShape(ssmState.shape)}`);
}

/**
 * Validates a decode step's inputs and returns the kernel's attrs. Without `offset`, zxbcdt must be exactly
 * [B, dSsm + convDim + H]; with one (the in-place step reading its columns of a wider row), [B, W] with
 * W ≥ offset + dSsm + convDim + H. `row` is the packed row's name in the caller's signature (for the messages).
 */
export function checkSsmDecodeStep(
  where: string,
  inputs: SsmDecodeStepInputs,
  options: SsmDecodeStepOptions,
  offset?: number,
  row = 'zxbcdt',
): KernelAttrs<'SsmDecodeStep'> {
  const { zxbcdt, convState, ssmState } = inputs;
  if (!isFloatDType(zxbcdt.dtype) || zxbcdt.rank !== 2) {
    const width = offset === undefined ? 'dSsm + convDim + H' : 'W';
    throw new Error(`${where}: ${row} must be float [B, ${width}], got ${zxbcdt.dtype}${formatShape(zxbcdt.shape)}`);
  }
  if (ssmState.rank !== 4) {
    throw new Error(`${where}: ssmState must be [B, H, P, N], got ${formatShape(ssmState.shape)}`);
  }
  if (convState.rank !== 3) {
    throw new Error(`${where}: convState must be [B, convDim, K], got ${formatShape(convState.shape)}`);
  }
  const [b, h, p, n] = ssmState.shape as [number, number, number, number];
  const [, convDim, k] = convState.shape as [number, number, number];
  const dSsm = h * p;
  const g = (convDim - dSsm) / (2 * n);
  if (!Number.isInteger(g) || g <= 0 || h % g !== 0) {
    throw new Error(
      `${where}: convState's ${convDim} channels must be H·P + 2·G·N = ${dSsm} + 2·G·${n} with G dividing H = ${h} (from ssmState ${formatShape(ssmState.shape)}); G would be ${g}`,
    );
  }
  const state = ssmStateDType(zxbcdt.dtype);
  const width = dSsm + convDim + h;
  if (offset === undefined) expectShape(where, row, zxbcdt, zxbcdt.dtype, [b, width]);
  else if (zxbcdt.shape[0] !== b || zxbcdt.shape[1]! < offset + width) {
    throw new Error(
      `${where}: ${row} must be [${b}, W] with W ≥ offset + dSsm + convDim + H = ${offset} + ${dSsm} + ${convDim} + ${h} = ${offset + width}, got ${formatShape(zxbcdt.shape)}`,
    );
  }
  expectShape(where, 'convState', convState, zxbcdt.dtype, [b, convDim, k]);
  expectShape(where, 'convWeight', inputs.convWeight, zxbcdt.dtype, [convDim, k]);
  expectShape(where, 'convBias', inputs.convBias, zxbcdt.dtype, [convDim]);
  checkSsmState(where, ssmState, zxbcdt.dtype, [b, h, p, n]);
  expectShape(where, 'dtBias', inputs.dtBias, state, [h]);
  expectShape(where, 'A', inputs.A, state, [h]);
  expectShape(where, 'D', inputs.D, state, [h]);
  const [dtMin, dtMax] = options.timeStepLimit ?? [0, Number.POSITIVE_INFINITY];
  if (!(dtMin >= 0 && dtMin <= dtMax)) {
    throw new Error(`${where}: timeStepLimit must be [min, max] with 0 ≤ min ≤ max, got [${dtMin}, ${dtMax}]`);
  }
  const gate = options.gate ?? 'silu';
  const activation = options.activation ?? 'silu';
  if (gate !== 'silu' && gate !== 'none') throw new Error(`${where}: gate must be 'silu' or 'none', got '${gate}'`);
  if (activation !== 'silu' && activation !== 'none') {
    throw new Error(`${where}: activation must be 'silu' or 'none', got '${activation}'`);
  }
  return { activation, gate, dtMin, dtMax };
}

/**
 * The in-place step's rules on top of the decode step's: the offset of its columns, and convState and ssmState
 * Variables (their buffers receive the next states). Returns SsmDecodeStepInPlace's attrs.
 */
export function checkSsmDecodeStepInPlace(
  where: string,
  inputs: SsmDecodeStepInPlaceInputs,
  options: SsmDecodeStepInPlaceOptions,
  row = 'zxbcdt',
): KernelAttrs<'SsmDecodeStepInPlace'> {
  const offset = checkColumnOffset(where, options.offset);
  checkWrittenInPlace(where, { convState: inputs.convState, ssmState: inputs.ssmState });
  return { ...checkSsmDecodeStep(where, inputs, options, offset, row), offset };
}
