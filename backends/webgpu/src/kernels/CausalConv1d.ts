/** CausalConv1d: one invocation per (b, t, c) (shaders/causal_conv1d.wgsl), optional bias, initial state, documents. */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';
import { flag, optional } from './fused-helpers.js';

export function causalConv1d(
  b: WebGPUBackend,
  { x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1d'>,
  { activation }: KernelAttrs<'CausalConv1d'>,
): TensorInfo {
  const [, time, channels] = x.shape as [number, number, number];
  const out = b.output(x.shape, x.dtype);
  const n = sizeOf(x.shape);
  if (n === 0) return out;
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'causal_conv1d',
      bindings: [
        { name: 'x', elem },
        { name: 'w', elem },
        { name: 'bias', elem },
        { name: 'init', elem },
        { name: 'seq', elem: 'i32' },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['channels', 'u32'],
        ['time', 'u32'],
        ['width', 'u32'],
        ['has_bias', 'u32'],
        ['has_init', 'u32'],
        ['has_seq', 'u32'],
      ],
      header: `alias TY = ${elem};\nconst SILU: bool = ${activation === 'silu'};`,
      workgroupSize: WG,
    },
    [b.data(x), b.data(weight), optional(b, bias), optional(b, initialState), optional(b, seqIdx), b.data(out)],
    {
      n,
      channels,
      time,
      width: weight.shape[1]!,
      has_bias: flag(bias),
      has_init: flag(initialState),
      has_seq: flag(seqIdx),
    },
    Math.ceil(n / WG),
  );
  return out;
}
