/**
 * SsmStep: one decode step of the Mamba2 scan (shaders/ssm_step.wgsl), a warp-sized group of invocations per
 * (b, h, p) row striding over the state entries (one invocation per row read its N entries serially, strided
 * across invocations: a 0.5B step's 24 × 64 rows took 60 µs on an H200).
 */
import type { KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { flag, optional } from './fused-helpers.js';

/** Invocations per workgroup: 8 rows of 32 lanes. */
const WG = 256;
const ROWS_PER_GROUP = WG / 32;

/** The uniforms of the SSM decode shaders' rows (include/ssm_state_row.wgsl and around it). */
export const SSM_ROW_UNIFORMS = [
  ['n', 'u32'],
  ['heads', 'u32'],
  ['pdim', 'u32'],
  ['nstate', 'u32'],
  ['groups', 'u32'],
  ['has_d', 'u32'],
] as const;

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
      uniforms: SSM_ROW_UNIFORMS,
      header: `alias TY = ${elem};`,
      workgroupSize: WG,
    },
    [b.data(state), b.data(x), b.data(dt), b.data(A), b.data(Bm), b.data(Cm), optional(b, D), b.data(next), b.data(y)],
    { n, heads, pdim, nstate, groups, has_d: flag(D) },
    Math.ceil(n / ROWS_PER_GROUP),
  );
  return { y, state: next };
}
