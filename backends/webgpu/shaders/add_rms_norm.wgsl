// AddRmsNorm, one workgroup per row: sum = round_TY(x + r) (as binary.wgsl's Add stores it) and
// y = w ⊙ round_TY(sum · rsqrt(mean(sum²) + eps)) of that stored sum, in f32 — rms_norm.wgsl's loops and reduction
// over the same channels per invocation, so the norm has the bits of Add followed by RmsNorm. Each invocation
// recomputes its channels' sums in the second loop (cheaper than a workgroup array or a re-read of `sum`).
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
    let stored = TY(f32(x[base + i]) + f32(r[base + i]));
    sum[base + i] = stored;
    let v = f32(stored);
    s = s + v * v;
  }
  let rstd = inverseSqrt(reduce_sum(s, lid) / f32(P.len) + P.eps);
  for (var i = lid; i < P.len; i = i + WG) {
    let v = f32(TY(f32(x[base + i]) + f32(r[base + i])));
    let n = f32(TY(v * rstd));
    y[base + i] = TY(f32(w[i]) * n);
  }
}
