// One decode step of attention over a static KV cache (AttentionDecodeStep): from the packed row
// qkv[b] = [… | q (Hq·DH) | k (Hkv·DH) | v (Hkv·DH) | …] (P.width columns, q from column P.offset), the query
// and key roped at pos[b] as the Rope kernel does
// (include/rope_rotate.wgsl, each rounded to TY as the composition stores them), the new key and value written into
// the cache at slots[b] (slots[0] for every row when P.shared_slot; no write outside [0, S)), and the attention of
// the query over every slot j with kseq[b, j] = qseq[b] — the split pass of decode attention
// (include/attention_splits.wgsl), one workgroup per (b, h, split). Row b of the output is P.oskip columns of prefix
// (copied by another dispatch) then the Hq heads: head h of row b begins at b·P.ostride + P.oskip + h·DH.
// No workgroup of this dispatch reads the step's slot from the cache: every one that scores it takes the new key and
// value from workgroup memory (kf, vf; each computes them, DH roped pairs), so the one writer — the workgroup of the
// KV head's first query head whose split holds the slot — needs no ordering with the others.
// The header defines TY, DH, DV (= DH), DIRECT, DT, q_dot_k(first element of a key) -> f32 over qw, VW and
// load_v(first element of a value) -> vec4<f32>, and store_kv(first element of a key) writing kf and vf there
// (vec4 stores when the cache is bound as vec4).
// #include "row_reduce.wgsl"
// #include "rope_rotate.wgsl"
// #include "attention_splits.wgsl"
var<workgroup> qw: array<f32, DH>;
var<workgroup> kf: array<f32, DH>;
var<workgroup> vf: array<f32, DH>;
// The cache slot this step writes in the workgroup's row, or S when none (no key index equals it).
var<private> fresh_slot: u32;

fn key_score(b: u32, g: u32, j: u32) -> f32 {
  if (j == fresh_slot) {
    var s = 0.0;
    for (var d = 0u; d < DH; d = d + 1u) {
      s = s + qw[d] * kf[d];
    }
    return s;
  }
  return cached_score(b, g, j);
}

fn fresh_value(col: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var e = 0u; e < VW; e = e + 1u) {
    v[e] = vf[col * VW + e];
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let flat = group_index(wid, nwg);
  let split = flat % P.splits;
  let row = flat / P.splits;
  if (row >= P.n) {
    return;
  }
  let Hq = P.hq;
  let Hk = P.hkv;
  let S = P.sk;
  let h = row % Hq;
  let b = row / Hq;
  let g = h / (Hq / Hk);
  let half = DH / 2u;
  let width = P.width;
  let position = pos[b];
  let slot = slots[select(b, 0u, P.shared_slot == 1u)];
  fresh_slot = select(S, u32(slot), slot >= 0 && slot < i32(S));
  let qb = b * width + P.offset + h * DH;
  let kb = b * width + P.offset + (Hq + g) * DH;
  let vb = b * width + P.offset + (Hq + Hk + g) * DH;
  for (var i = lid; i < half; i = i + WG) {
    let inv = inv_freq[i];
    let rq = rope_rotate(f32(qkv[qb + i]), f32(qkv[qb + i + half]), position, inv, 1.0);
    qw[i] = f32(TY(rq.x)) * P.scale;
    qw[i + half] = f32(TY(rq.y)) * P.scale;
    let rk = rope_rotate(f32(qkv[kb + i]), f32(qkv[kb + i + half]), position, inv, 1.0);
    kf[i] = f32(TY(rk.x));
    kf[i + half] = f32(TY(rk.y));
  }
  for (var d = lid; d < DH; d = d + WG) {
    vf[d] = f32(qkv[vb + d]);
  }
  workgroupBarrier();
  if (fresh_slot < S && h % (Hq / Hk) == 0u && fresh_slot / (WG * P.per) == split) {
    let at = ((b * S + fresh_slot) * Hk + g) * DH;
    store_kv(at, lid);
  }
  attend_split(row, flat, split, b, g, S, qseq[b], fresh_slot, b * P.ostride + P.oskip + h * DH, lid);
}
