// RMSNorm over the last axis, one workgroup per row: y = w ⊙ round_TX(x · rsqrt(mean(x²) + eps)) in f32
// (the normalised value is rounded to x's dtype before the weight multiply, as transformers does).
// #include "row_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  let base = row * P.len;
  var s = 0.0;
  for (var i = lid; i < P.len; i = i + WG) {
    let v = f32(x[base + i]);
    s = s + v * v;
  }
  let r = inverseSqrt(reduce_sum(s, lid) / f32(P.len) + P.eps);
  for (var i = lid; i < P.len; i = i + WG) {
    let n = f32(TY(f32(x[base + i]) * r));
    y[base + i] = TY(f32(w[i]) * n);
  }
}
