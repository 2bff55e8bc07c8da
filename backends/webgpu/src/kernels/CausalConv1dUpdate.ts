/** CausalConv1dUpdate: one decode step, one invocation per (b, c) (shaders/causal_conv1d_update.wgsl). */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';
import { flag, optional } from './fused-helpers.js';

export function causalConv1dUpdate(
  b: WebGPUBackend,
  { convState, x, weight, bias }: KernelInputs<'CausalConv1dUpdate'>,
  { activation }: KernelAttrs<'CausalConv1dUpdate'>,
): KernelOutputs<'CausalConv1dUpdate'> {
  const y = b.output(x.shape, x.dtype);
  const state = b.output(convState.shape, convState.dtype);
  const n = sizeOf(x.shape);
  if (n === 0) return { y, convState: state };
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'causal_conv1d_update',
      bindings: [
        { name: 'conv_state', elem: elemOf(convState.dtype) },
        { name: 'x', elem },
        { name: 'conv_w', elem },
        { name: 'conv_bias', elem },
        { name: 'new_conv', elem: elemOf(convState.dtype), write: true },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['channels', 'u32'],
        ['width', 'u32'],
        ['has_bias', 'u32'],
      ],
      header: `alias TY = ${elem};\nconst SILU: bool = ${activation === 'silu'};`,
      workgroupSize: WG,
    },
    [b.data(convState), b.data(x), b.data(weight), optional(b, bias), b.data(state), b.data(y)],
    { n, channels: x.shape[1]!, width: weight.shape[1]!, has_bias: flag(bias) },
    Math.ceil(n / WG),
  );
  return { y, convState: state };
}
