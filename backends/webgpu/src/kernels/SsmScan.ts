/**
 * SsmScan, chunked: (1) every chunk of `chunkSize` tokens runs the recurrence from a zero state, in parallel over
 * (b, chunk, h, p) (shaders/ssm_scan_chunk.wgsl); (2) the states passed between chunks, sequential over chunks
 * and parallel over (b, h, p, n) (ssm_scan_pass.wgsl); (3) each chunk adds the decayed entering state's output
 * and the D skip (ssm_scan_out.wgsl). Document boundaries cut the recurrence inside chunks and the passing
 * between them. States, decays and sums are f32. The state row lives in registers: N ≤ 256 (supportsKernel).
 * y takes dt's dtype (TY in the shaders): x's, or f32 when f16 x/B/C come with f32 dt/A/D.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';
import { flag, optional } from './fused-helpers.js';

export const SSM_MAX_STATE = 256;

export function ssmScan(
  b: WebGPUBackend,
  { x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScan'>,
  { chunkSize }: KernelAttrs<'SsmScan'>,
): KernelOutputs<'SsmScan'> {
  const [batch, time, heads, pdim] = x.shape as [number, number, number, number];
  const [, , groups, nstate] = Bm.shape as [number, number, number, number];
  const y = b.output(x.shape, dt.dtype);
  const finalState = b.output([batch, heads, pdim, nstate], 'f32');
  const chunk = Math.max(1, Math.min(chunkSize, Math.max(time, 1)));
  const chunks = Math.ceil(time / chunk);
  const elem = elemOf(x.dtype);
  const yElem = elemOf(dt.dtype);
  const header = `alias TY = ${yElem};\nconst NS: u32 = ${nstate}u;`;
  const scratch = (shape: number[], dtype: 'f32' | 'i32'): TensorInfo => ({
    dataId: b.alloc(shape, dtype, true),
    shape,
    dtype,
  });
  const ylocal = scratch([batch, time, heads, pdim], 'f32');
  const states = scratch([batch, Math.max(chunks, 1), heads, pdim, nstate], 'f32');
  const decay = scratch([batch, Math.max(chunks, 1), heads], 'f32');
  const cut = scratch([batch, Math.max(chunks, 1), heads], 'i32');
  const common = { heads, pdim, time, groups, chunks, chunk };
  const nChunk = batch * chunks * heads * pdim;
  const inputs = [
    { name: 'x', elem },
    { name: 'dt', elem: elemOf(dt.dtype) },
    { name: 'A', elem: elemOf(A.dtype) },
    { name: 'Bm', elem },
    { name: 'Cm', elem },
    { name: 'seq', elem: 'i32' as const },
  ];
  const inputBuffers = [b.data(x), b.data(dt), b.data(A), b.data(Bm), b.data(Cm), optional(b, seqIdx)];
  const scalarUniforms = [
    ['n', 'u32'],
    ['heads', 'u32'],
    ['pdim', 'u32'],
    ['time', 'u32'],
    ['groups', 'u32'],
    ['chunks', 'u32'],
    ['chunk', 'u32'],
  ] as const;
  if (nChunk > 0) {
    b.dispatch(
      {
        shader: 'ssm_scan_chunk',
        bindings: [
          ...inputs,
          { name: 'ylocal', elem: 'f32', write: true },
          { name: 'states', elem: 'f32', write: true },
          { name: 'chunk_decay', elem: 'f32', write: true },
          { name: 'chunk_cut', elem: 'u32', write: true },
        ],
        uniforms: [...scalarUniforms, ['has_seq', 'u32']],
        header,
        workgroupSize: 64,
      },
      [...inputBuffers, b.data(ylocal), b.data(states), b.data(decay), b.data(cut)],
      { ...common, n: nChunk, has_seq: flag(seqIdx) },
      Math.ceil(nChunk / 64),
    );
  }
  const nPass = batch * heads * pdim * nstate;
  if (nPass > 0) {
    b.dispatch(
      {
        shader: 'ssm_scan_pass',
        bindings: [
          { name: 'init', elem: 'f32' },
          { name: 'chunk_decay', elem: 'f32' },
          { name: 'chunk_cut', elem: 'u32' },
          { name: 'states', elem: 'f32', write: true },
          { name: 'final_state', elem: 'f32', write: true },
        ],
        uniforms: [...scalarUniforms, ['has_init', 'u32']],
        header,
        workgroupSize: WG,
      },
      [optional(b, initialState), b.data(decay), b.data(cut), b.data(states), b.data(finalState)],
      { ...common, n: nPass, has_init: flag(initialState) },
      Math.ceil(nPass / WG),
    );
  }
  if (nChunk > 0) {
    b.dispatch(
      {
        shader: 'ssm_scan_out',
        bindings: [
          ...inputs,
          { name: 'D', elem: D ? elemOf(D.dtype) : elem },
          { name: 'ylocal', elem: 'f32' },
          { name: 'states', elem: 'f32' },
          { name: 'y', elem: yElem, write: true },
        ],
        uniforms: [...scalarUniforms, ['has_seq', 'u32'], ['has_d', 'u32']],
        header,
        workgroupSize: 64,
      },
      [...inputBuffers, optional(b, D), b.data(ylocal), b.data(states), b.data(y)],
      { ...common, n: nChunk, has_seq: flag(seqIdx), has_d: flag(D) },
      Math.ceil(nChunk / 64),
    );
  }
  for (const s of [ylocal, states, decay, cut]) b.free(b.data(s));
  return { y, finalState };
}
