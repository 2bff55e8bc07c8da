// Grouped-query attention with an online softmax (one pass over the keys), one invocation per (b, i, h) query row,
// the running output (DV values) in registers, in f32. Key j is visible iff (not CAUSAL or j ≤ i + S − T) and
// (no seq ids or qseq[b,i] = kseq[b,j]); a query with no visible key outputs zeros.
// #include "attention_row.wgsl"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let Hk = P.hkv;
  let S = P.sk;
  let row = query_row(idx);
  let b = row.b;
  let g = row.g;
  let qbase = idx * DH;
  var q: array<f32, DH>;
  for (var d = 0u; d < DH; d = d + 1u) {
    q[d] = f32(qs[qbase + d]) * P.scale;
  }
  var o: array<f32, DV>;
  for (var d = 0u; d < DV; d = d + 1u) {
    o[d] = 0.0;
  }
  var m = -inf_f32();
  var l = 0.0;
  let last = row.last;
  let doc = row.doc;
  for (var j = 0u; j < last; j = j + 1u) {
    if (P.has_seq != 0u && kseq[b * S + j] != doc) {
      continue;
    }
    let kbase = ((b * S + j) * Hk + g) * DH;
    var score = 0.0;
    for (var d = 0u; d < DH; d = d + 1u) {
      score = score + q[d] * f32(ks[kbase + d]);
    }
    let mn = max(m, score);
    let corr = exp(m - mn);
    let p = exp(score - mn);
    l = l * corr + p;
    let vbase = ((b * S + j) * Hk + g) * DV;
    for (var d = 0u; d < DV; d = d + 1u) {
      o[d] = o[d] * corr + p * f32(vs[vbase + d]);
    }
    m = mn;
  }
  let obase = idx * DV;
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < DV; d = d + 1u) {
    out[obase + d] = TY(o[d] * inv);
  }
}
