/** AdamW: in place on param, m and v, one invocation per element (shaders/adamw.wgsl). */
import type { KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function adamW(
  b: WebGPUBackend,
  { param, grad, m, v }: KernelInputs<'AdamW'>,
  { lr, beta1, beta2, eps, weightDecay, step }: KernelAttrs<'AdamW'>,
): undefined {
  const n = sizeOf(param.shape);
  if (n === 0) return undefined;
  const elem = elemOf(param.dtype);
  b.dispatch(
    {
      shader: 'adamw',
      bindings: [
        { name: 'grad', elem },
        { name: 'param', elem, write: true },
        { name: 'm', elem: 'f32', write: true },
        { name: 'v', elem: 'f32', write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['lr', 'f32'],
        ['beta1', 'f32'],
        ['beta2', 'f32'],
        ['eps', 'f32'],
        ['wd', 'f32'],
        ['bc1', 'f32'],
        ['bc2', 'f32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(grad), b.data(param), b.data(m), b.data(v)],
    { n, lr, beta1, beta2, eps, wd: weightDecay, bc1: 1 - beta1 ** step, bc2: 1 - beta2 ** step },
    Math.ceil(n / WG),
  );
  return undefined;
}
