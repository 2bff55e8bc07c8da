/**
 * Attention: grouped-query SDPA with an online softmax, one invocation per query row (shaders/attention.wgsl),
 * head dims up to 256 (supportsKernel), causal and document masks.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { flag, optional } from './fused-helpers.js';

export const ATTENTION_MAX_HEAD_DIM = 256;

export function attention(
  b: WebGPUBackend,
  { q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'Attention'>,
  { scale, causal }: KernelAttrs<'Attention'>,
): TensorInfo {
  const [batch, tq, hq, dh] = q.shape as [number, number, number, number];
  const [, sk, hkv, dv] = v.shape as [number, number, number, number];
  const out = b.output([batch, tq, hq, dv], q.dtype);
  const n = batch * tq * hq;
  if (n === 0 || dv === 0) return out;
  const elem = elemOf(q.dtype);
  b.dispatch(
    {
      shader: 'attention',
      bindings: [
        { name: 'qs', elem },
        { name: 'ks', elem },
        { name: 'vs', elem },
        { name: 'qseq', elem: 'i32' },
        { name: 'kseq', elem: 'i32' },
        { name: 'out', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['hq', 'u32'],
        ['hkv', 'u32'],
        ['tq', 'u32'],
        ['sk', 'u32'],
        ['scale', 'f32'],
        ['has_seq', 'u32'],
      ],
      header: `alias TY = ${elem};\nconst DH: u32 = ${Math.max(dh, 1)}u;\nconst DV: u32 = ${dv}u;\nconst CAUSAL: bool = ${causal};`,
      workgroupSize: 64,
    },
    [b.data(q), b.data(k), b.data(v), optional(b, qSeqIdx), optional(b, kSeqIdx), b.data(out)],
    { n, hq, hkv, tq, sk, scale, has_seq: flag(qSeqIdx && kSeqIdx) },
    Math.ceil(n / 64),
  );
  return out;
}
