/** SwiGlu: y = up ⊙ silu(gate · gateMultiplier) in one dispatch (shaders/swi_glu.wgsl) instead of Scale, Silu, Mul. */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function swiGlu(
  b: WebGPUBackend,
  { gate, up }: KernelInputs<'SwiGlu'>,
  { gateMultiplier }: KernelAttrs<'SwiGlu'>,
): TensorInfo {
  if (gate.shape.join(',') !== up.shape.join(',') || gate.dtype !== up.dtype) {
    throw new Error(
      `webgpu SwiGlu: gate ${gate.dtype}[${gate.shape.join(', ')}] and up ${up.dtype}[${up.shape.join(', ')}] must match`,
    );
  }
  const out = b.output(gate.shape, gate.dtype);
  const n = sizeOf(gate.shape);
  if (n === 0) return out;
  const elem = elemOf(gate.dtype);
  b.dispatch(
    {
      shader: 'swi_glu',
      bindings: [
        { name: 'gate', elem },
        { name: 'up', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['m', 'f32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(gate), b.data(up), b.data(out)],
    { n, m: gateMultiplier },
    Math.ceil(n / WG),
  );
  return out;
}
