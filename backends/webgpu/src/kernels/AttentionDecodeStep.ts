/**
 * AttentionDecodeStep (shaders/attention_decode_step.wgsl): RoPE of the new token's q and k, the in-place write of
 * its k and v into the static cache and the query's attention over every slot in one dispatch — two when the cache
 * has more than SPLIT_CHUNK·CHUNKS_PER_SPLIT slots and the splits' softmax partials are merged by Attention's
 * combine pass. The composition is ~9 dispatches (slices, two Ropes, two CacheWrites, the attention's one or two),
 * and a WebGPU decode step is bound by the host's encoding per dispatch. The slots are read on the device, so a
 * replayed graph writes where the current step says. The step reads its q|k|v from column `offset` of a wider row;
 * with a prefix, the output rows are [prefix | o]: the heads are written after the prefix's columns and the prefix
 * is copied in by one strided-copy dispatch in the same command encoder (binding it in the attention pass would
 * take a tenth storage buffer, beyond more devices' limits).
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import {
  CHUNKS_PER_SPLIT,
  combineSplits,
  header,
  loadV,
  type OutputLayout,
  qDotK,
  SPLIT_CHUNK,
  splitPlan,
} from './Attention.js';
import { ropeInverseFrequencies } from './Rope.js';
import { stridedCopy } from './strided.js';

/** Storage buffers the split pass binds. */
export const ATTENTION_DECODE_STEP_STORAGE_BUFFERS = 9;

/**
 * Writes the workgroup's new key kf and value vf (WGSL) at their rows' first element: vec4 stores where the cache
 * is bound as vec4.
 */
function storeKv(vec: boolean): string {
  if (vec) {
    return `fn store_kv(at: u32, lid: u32) {
  for (var d = lid * 4u; d < DH; d = d + WG * 4u) {
    ks[(at + d) / 4u] = vec4<TY>(TY(kf[d]), TY(kf[d + 1u]), TY(kf[d + 2u]), TY(kf[d + 3u]));
    vs[(at + d) / 4u] = vec4<TY>(TY(vf[d]), TY(vf[d + 1u]), TY(vf[d + 2u]), TY(vf[d + 3u]));
  }
}`;
  }
  return `fn store_kv(at: u32, lid: u32) {
  for (var d = lid; d < DH; d = d + WG) {
    ks[at + d] = TY(kf[d]);
    vs[at + d] = TY(vf[d]);
  }
}`;
}

export function attentionDecodeStep(
  b: WebGPUBackend,
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix }: KernelInputs<'AttentionDecodeStep'>,
  { heads, kvHeads, theta, scale, offset }: KernelAttrs<'AttentionDecodeStep'>,
): TensorInfo {
  const [batch, sk, , dh] = keys.shape as [number, number, number, number];
  const skip = prefix ? prefix.shape[1]! : 0;
  const layout: OutputLayout = { group: heads, ostride: skip + heads * dh, oskip: skip };
  const out = b.output([batch, layout.ostride], qkv.dtype);
  if (prefix && batch > 0) {
    stridedCopy(b, b.data(prefix), b.data(out), prefix.shape, [skip, 1], [layout.ostride, 1], 0, 0);
  }
  const n = batch * heads;
  if (n === 0 || dh === 0 || sk === 0) return out;
  const elem = elemOf(qkv.dtype);
  const vecKeys = dh % 4 === 0;
  const { splits, direct, part, dt } = splitPlan(b, sk, n, dh, elem);
  b.dispatch(
    {
      shader: 'attention_decode_step',
      bindings: [
        { name: 'qkv', elem },
        { name: 'pos', elem: 'i32' },
        { name: 'inv_freq', elem: 'f32' },
        { name: 'ks', elem, write: true, vec4: vecKeys },
        { name: 'vs', elem, write: true, vec4: vecKeys },
        { name: 'slots', elem: 'i32' },
        { name: 'qseq', elem: 'i32' },
        { name: 'kseq', elem: 'i32' },
        { name: 'dst', elem: dt, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['splits', 'u32'],
        ['per', 'u32'],
        ['hq', 'u32'],
        ['hkv', 'u32'],
        ['sk', 'u32'],
        ['scale', 'f32'],
        ['has_seq', 'u32'],
        ['shared_slot', 'u32'],
        ['width', 'u32'],
        ['offset', 'u32'],
        ['ostride', 'u32'],
        ['oskip', 'u32'],
      ],
      header: `${header(elem, dh, dh)}\nconst DIRECT: bool = ${direct};\nalias DT = ${dt};\n${qDotK(vecKeys)}\n${loadV(vecKeys)}\n${storeKv(vecKeys)}`,
      workgroupSize: SPLIT_CHUNK,
    },
    [
      b.data(qkv),
      b.data(positions),
      ropeInverseFrequencies(b, theta, dh),
      b.data(keys),
      b.data(values),
      b.data(slots),
      b.data(qSeqIdx),
      b.data(kSeqIdx),
      part ?? b.data(out),
    ],
    {
      n,
      splits,
      per: CHUNKS_PER_SPLIT,
      hq: heads,
      hkv: kvHeads,
      sk,
      scale,
      // The document mask always applies (the contract's kSeqIdx = qSeqIdx; empty slots hold −1).
      has_seq: 1,
      shared_slot: slots.shape[0] === 1 ? 1 : 0,
      width: qkv.shape[1]!,
      offset,
      ostride: layout.ostride,
      oskip: layout.oskip,
    },
    n * splits,
  );
  if (part) combineSplits(b, part, b.data(out), { n, splits, elem, dh, dv: dh }, layout);
  return out;
}
