/**
 * Attention: grouped-query SDPA with an online softmax, one invocation per query row (shaders/attention.wgsl),
 * head dims up to 256 (supportsKernel), causal and document masks. A decode step (T ≤ DECODE_MAX_TQ query rows per
 * sequence) has too few rows for one invocation each to fill a GPU — 8 heads of a 0.5B model are 8 invocations,
 * 584 µs per call over 192 cache slots on an H200 — so it splits the keys instead (flash-decoding):
 * attention_split.wgsl gives each (row, split) a workgroup that takes its split's chunks of SPLIT_CHUNK slots in
 * turn, one key per invocation; up to CHUNKS_PER_SPLIT chunks that is the whole call, beyond it the splits'
 * softmax partials are merged by attention_combine.wgsl.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BindingDef, Elem } from '../program.js';
import { elemOf, type GpuData, type WebGPUBackend } from '../webgpu-backend.js';
import { flag, optional } from './fused-helpers.js';

export const ATTENTION_MAX_HEAD_DIM = 256;

/** Query rows per sequence up to which the keys are split over workgroups (a decode step, a few draft tokens). */
export const DECODE_MAX_TQ = 4;

/** Key slots scored at once by a workgroup of the split pass (its workgroup size: one key per invocation). */
const SPLIT_CHUNK = 64;

/**
 * Chunks a split takes in turn: a cache of up to 256 slots is one dispatch (a dispatch costs more than a few
 * serial chunks), longer ones spread over ⌈S / 256⌉ workgroups per query row plus the merge.
 */
const CHUNKS_PER_SPLIT = 4;

/**
 * q·k for the split pass (WGSL, over the workgroup's scaled query qw): keys bound as vec4 when the head dim allows
 * (16-byte loads), else one element at a time.
 */
function qDotK(vecKeys: boolean): string {
  if (vecKeys) {
    return `fn q_dot_k(kbase: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < DH; d = d + 4u) {
    s = s + dot(vec4<f32>(qw[d], qw[d + 1u], qw[d + 2u], qw[d + 3u]), vec4<f32>(ks[(kbase + d) / 4u]));
  }
  return s;
}`;
  }
  return `fn q_dot_k(kbase: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < DH; d = d + 1u) {
    s = s + qw[d] * f32(ks[kbase + d]);
  }
  return s;
}`;
}

/** What both paths bind and pass: q, k, v and the optional document ids, then the output (or the partials). */
function inputBindings(elem: Elem, output: BindingDef, vecKeys = false): BindingDef[] {
  return [
    { name: 'qs', elem },
    { name: 'ks', elem, vec4: vecKeys },
    { name: 'vs', elem },
    { name: 'qseq', elem: 'i32' },
    { name: 'kseq', elem: 'i32' },
    output,
  ];
}

const SHAPE_UNIFORMS = [
  ['hq', 'u32'],
  ['hkv', 'u32'],
  ['tq', 'u32'],
  ['sk', 'u32'],
  ['scale', 'f32'],
  ['has_seq', 'u32'],
] as const;

function header(elem: Elem, dh: number, dv: number): string {
  return `alias TY = ${elem};\nconst DH: u32 = ${Math.max(dh, 1)}u;\nconst DV: u32 = ${dv}u;`;
}

export function attention(
  b: WebGPUBackend,
  inputs: KernelInputs<'Attention'>,
  { scale, causal }: KernelAttrs<'Attention'>,
): TensorInfo {
  const { q, k, v, qSeqIdx, kSeqIdx } = inputs;
  const [batch, tq, hq, dh] = q.shape as [number, number, number, number];
  const [, sk, hkv, dv] = v.shape as [number, number, number, number];
  const out = b.output([batch, tq, hq, dv], q.dtype);
  const n = batch * tq * hq;
  if (n === 0 || dv === 0) return out;
  const elem = elemOf(q.dtype);
  const shape = { hq, hkv, tq, sk, scale, has_seq: flag(qSeqIdx && kSeqIdx) };
  const ins = [b.data(q), b.data(k), b.data(v), optional(b, qSeqIdx), optional(b, kSeqIdx)];
  if (tq <= DECODE_MAX_TQ && sk > 0) {
    decodeAttention(b, { dh, dv, sk, n, causal, elem }, shape, ins, out);
    return out;
  }
  b.dispatch(
    {
      shader: 'attention',
      bindings: inputBindings(elem, { name: 'out', elem, write: true }),
      uniforms: [['n', 'u32'], ...SHAPE_UNIFORMS],
      header: `${header(elem, dh, dv)}\nconst CAUSAL: bool = ${causal};`,
      workgroupSize: 64,
    },
    [...ins, b.data(out)],
    { n, ...shape },
    Math.ceil(n / 64),
  );
  return out;
}

/**
 * The decode path: attention_split.wgsl over (row, split) workgroups; with more than one split, into f32 partials
 * (m, l, o[DV]) that attention_combine.wgsl merges, one workgroup per row.
 */
function decodeAttention(
  b: WebGPUBackend,
  { dh, dv, sk, n, causal, elem }: { dh: number; dv: number; sk: number; n: number; causal: boolean; elem: Elem },
  shape: Record<string, number>,
  ins: GpuData[],
  out: TensorInfo,
): void {
  // 16-byte key loads need whole vectors per key (a 0-wide head reads a placeholder element instead).
  const vecKeys = dh > 0 && dh % 4 === 0;
  const chunks = Math.ceil(sk / SPLIT_CHUNK);
  const splits = Math.ceil(chunks / CHUNKS_PER_SPLIT);
  const direct = splits === 1;
  const part = direct ? undefined : b.alloc([n * splits * (dv + 2)], 'f32', true);
  const dt = direct ? elem : 'f32';
  b.dispatch(
    {
      shader: 'attention_split',
      bindings: inputBindings(elem, { name: 'dst', elem: dt, write: true }, vecKeys),
      uniforms: [['n', 'u32'], ['splits', 'u32'], ['per', 'u32'], ...SHAPE_UNIFORMS],
      header: `${header(elem, dh, dv)}\nconst CAUSAL: bool = ${causal};\nconst DIRECT: bool = ${direct};\nalias DT = ${dt};\n${qDotK(vecKeys)}`,
      workgroupSize: SPLIT_CHUNK,
    },
    [...ins, part ?? b.data(out)],
    { n, splits, per: CHUNKS_PER_SPLIT, ...shape },
    n * splits,
  );
  if (!part) return;
  b.dispatch(
    {
      shader: 'attention_combine',
      bindings: [
        { name: 'part', elem: 'f32' },
        { name: 'out', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['splits', 'u32'],
      ],
      header: header(elem, dh, dv),
      workgroupSize: 64,
    },
    [part, b.data(out)],
    { n, splits },
    n,
  );
  b.free(part);
}
