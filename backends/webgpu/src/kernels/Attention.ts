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

/**
 * Key slots scored at once by a workgroup of the split pass (its workgroup size: one key per invocation; the
 * value rows are then summed by all of them, a vec4 column per invocation and WG / columns slot groups).
 */
export const SPLIT_CHUNK = 256;

/**
 * Chunks a split takes in turn: a cache of up to 256 slots is one dispatch (a dispatch costs more than a few
 * serial chunks), longer ones spread over ⌈S / 256⌉ workgroups per query row plus the merge. One chunk per split:
 * the chunks of a split run one after the other (two reductions and a pass over the values each), and the
 * latency of that chain, not bandwidth, is what a decode step's attention costs (issue #6: 4 chunks of 64 took
 * ~3× as long on an H200 as one of 256).
 */
export const CHUNKS_PER_SPLIT = 1;

/**
 * q·k for the split pass (WGSL, over the workgroup's scaled query qw): keys bound as vec4 when the head dim allows
 * (16-byte loads), else one element at a time.
 */
export function qDotK(vecKeys: boolean): string {
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

/**
 * Value loads for the split pass (WGSL): VW elements per load — the values bound as vec4 when their head dim allows
 * (VW = 4), else one element in .x (VW = 1) — and load_v(first element) -> vec4<f32>.
 */
export function loadV(vecValues: boolean): string {
  if (vecValues) return 'const VW: u32 = 4u;\nfn load_v(at: u32) -> vec4<f32> {\n  return vec4<f32>(vs[at / 4u]);\n}';
  return 'const VW: u32 = 1u;\nfn load_v(at: u32) -> vec4<f32> {\n  return vec4<f32>(f32(vs[at]), 0.0, 0.0, 0.0);\n}';
}

/** What both paths bind and pass: q, k, v and the optional document ids, then the output (or the partials). */
function inputBindings(elem: Elem, output: BindingDef, vecKeys = false, vecValues = false): BindingDef[] {
  return [
    { name: 'qs', elem },
    { name: 'ks', elem, vec4: vecKeys },
    { name: 'vs', elem, vec4: vecValues },
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

export function header(elem: Elem, dh: number, dv: number): string {
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
 * How the decode path splits S key slots for n query rows: over ⌈S / (SPLIT_CHUNK·CHUNKS_PER_SPLIT)⌉ workgroups per
 * row; with one, the split pass writes the output (`direct`, element type dt = the output's), else f32 partials of
 * DV + 2 per (row, split) into `part` for combineSplits.
 */
export function splitPlan(
  b: WebGPUBackend,
  sk: number,
  n: number,
  dv: number,
  elem: Elem,
): { splits: number; direct: boolean; part: GpuData | undefined; dt: Elem } {
  const splits = Math.ceil(Math.ceil(sk / SPLIT_CHUNK) / CHUNKS_PER_SPLIT);
  const direct = splits === 1;
  return {
    splits,
    direct,
    part: direct ? undefined : b.alloc([n * splits * (dv + 2)], 'f32', true),
    dt: direct ? elem : 'f32',
  };
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
  const vecValues = dv % 4 === 0;
  const { splits, direct, part, dt } = splitPlan(b, sk, n, dv, elem);
  b.dispatch(
    {
      shader: 'attention_split',
      bindings: inputBindings(elem, { name: 'dst', elem: dt, write: true }, vecKeys, vecValues),
      uniforms: [['n', 'u32'], ['splits', 'u32'], ['per', 'u32'], ...SHAPE_UNIFORMS],
      header: `${header(elem, dh, dv)}\nconst CAUSAL: bool = ${causal};\nconst DIRECT: bool = ${direct};\nalias DT = ${dt};\n${qDotK(vecKeys)}\n${loadV(vecValues)}`,
      workgroupSize: SPLIT_CHUNK,
    },
    [...ins, part ?? b.data(out)],
    { n, splits, per: CHUNKS_PER_SPLIT, ...shape },
    n * splits,
  );
  if (part) combineSplits(b, part, b.data(out), { n, splits, elem, dh, dv });
}

/**
 * Where query row r's DV outputs begin in the output: (r / group)·ostride + oskip + (r % group)·DV — r·DV for
 * Attention; AttentionDecodeStep's rows of Hq heads after a prefix of oskip columns.
 */
export interface OutputLayout {
  readonly group: number;
  readonly ostride: number;
  readonly oskip: number;
}

/**
 * The decode path's pass 2 (attention_combine.wgsl): merges each row's `splits` f32 partials (m, l, o[DV]) into
 * out (rows placed by `layout`), one workgroup per row, and frees the partials.
 */
export function combineSplits(
  b: WebGPUBackend,
  part: GpuData,
  out: GpuData,
  { n, splits, elem, dh, dv }: { n: number; splits: number; elem: Elem; dh: number; dv: number },
  layout: OutputLayout = { group: 1, ostride: dv, oskip: 0 },
): void {
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
        ['group', 'u32'],
        ['ostride', 'u32'],
        ['oskip', 'u32'],
      ],
      header: header(elem, dh, dv),
      workgroupSize: 64,
    },
    [part, out],
    { n, splits, ...layout },
    n,
  );
  b.free(part);
}
