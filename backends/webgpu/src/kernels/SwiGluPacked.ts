/**
 * SwiGluPacked: y [..., I] = up ⊙ silu(gate · gateMultiplier) read from one packed gateUp [..., 2I] (gate the first
 * half of each row, up the second) in one dispatch (shaders/swi_glu_packed.wgsl: swi_glu.wgsl's arithmetic), where a
 * decode step ran two projections and SwiGlu. Binds 2 storage buffers, within every device's limits.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function swiGluPacked(
  b: WebGPUBackend,
  { gateUp }: KernelInputs<'SwiGluPacked'>,
  { gateMultiplier }: KernelAttrs<'SwiGluPacked'>,
): TensorInfo {
  const inner = gateUp.shape[gateUp.shape.length - 1]! / 2;
  const out = b.output([...gateUp.shape.slice(0, -1), inner], gateUp.dtype);
  const n = sizeOf(out.shape);
  if (n === 0) return out;
  const elem = elemOf(gateUp.dtype);
  b.dispatch(
    {
      shader: 'swi_glu_packed',
      bindings: [
        { name: 'gateUp', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['inner', 'u32'],
        ['m', 'f32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(gateUp), b.data(out)],
    { n, inner, m: gateMultiplier },
    Math.ceil(n / WG),
  );
  return out;
}
