// Decode attention (flash-decoding): a step's few query rows (B·T·Hq of them, T ≤ a handful) cannot fill a GPU
// with one invocation each, so the keys are split too: include/attention_splits.wgsl (one workgroup per (query row,
// split), an online softmax over the split's chunks of WG slots; partials merged by attention_combine.wgsl).
// Masks as attention.wgsl: key j is visible iff (not CAUSAL or j ≤ i + S − T) and (no seq ids or
// qseq[b,i] = kseq[b,j]). The header defines TY, DH, DV, CAUSAL, DIRECT, DT (dst's element type) and
// q_dot_k(first element of a key) -> f32 over qw: with DH % 4 = 0 the keys are bound as vec4 and read 16 bytes at a
// time (each invocation reads its own key, so a warp's load touches 32 rows: 4× fewer such loads), VW and
// load_v (the values as vec4 when DV % 4 = 0).
// #include "row_reduce.wgsl"
// #include "attention_row.wgsl"
// #include "attention_splits.wgsl"
var<workgroup> qw: array<f32, DH>;

fn key_score(b: u32, g: u32, j: u32) -> f32 {
  return cached_score(b, g, j);
}

// No slot is written by this pass (attend_split gets fresh = S): never called.
fn fresh_value(col: u32) -> vec4<f32> {
  return vec4<f32>(0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let flat = group_index(wid, nwg);
  let row = flat / P.splits;
  if (row >= P.n) {
    return;
  }
  let q = query_row(row);
  for (var d = lid; d < DH; d = d + WG) {
    qw[d] = f32(qs[row * DH + d]) * P.scale;
  }
  workgroupBarrier();
  attend_split(row, flat, flat % P.splits, q.b, q.g, q.last, q.doc, P.sk, row * DV, lid);
}
