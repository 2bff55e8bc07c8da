/** SsmStep: one decode step of the Mamba2 scan, one invocation per (b, h, p) (shaders/ssm_step.wgsl). */
import type { KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';
import { flag, optional } from './fused-helpers.js';

export function ssmStep(
  b: WebGPUBackend,
  { state, x, dt, A, Bm, Cm, D }: KernelInputs<'SsmStep'>,
): KernelOutputs<'SsmStep'> {
  const [, heads, pdim] = x.shape as [number, number, number];
  const [, groups, nstate] = Bm.shape as [number, number, number];
  const y = b.output(x.shape, x.dtype);
  const next = b.output(state.shape, state.dtype);
  const n = sizeOf(x.shape);
  if (n === 0) return { y, state: next };
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'ssm_step',
      bindings: [
        { name: 'state', elem: 'f32' },
        { name: 'x', elem },
        { name: 'dt', elem: elemOf(dt.dtype) },
        { name: 'A', elem: elemOf(A.dtype) },
        { name: 'Bm', elem },
        { name: 'Cm', elem },
        { name: 'D', elem: D ? elemOf(D.dtype) : elem },
        { name: 'new_state', elem: 'f32', write: true },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['heads', 'u32'],
        ['pdim', 'u32'],
        ['nstate', 'u32'],
        ['groups', 'u32'],
        ['has_d', 'u32'],
      ],
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(state), b.data(x), b.data(dt), b.data(A), b.data(Bm), b.data(Cm), optional(b, D), b.data(next), b.data(y)],
    { n, heads, pdim, nstate, groups, has_d: flag(D) },
    Math.ceil(n / WG),
  );
  return { y, state: next };
}
