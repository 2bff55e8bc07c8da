// Mamba2's grouped gated RMSNorm, one workgroup per (row, group) of P.gs channels, all in f32:
//   BEFORE = false: g = x ⊙ silu(z); y = w ⊙ g · rsqrt(mean_group(g²) + eps)
//   BEFORE = true:  y = w ⊙ x · rsqrt(mean_group(x²) + eps) ⊙ silu(z)
// #include "row_reduce.wgsl"

fn gated(i: u32) -> f32 {
  if (BEFORE) {
    return f32(x[i]);
  }
  return f32(x[i]) * silu_f(f32(z[i]));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let item = group_index(wid, nwg);
  if (item >= P.items) {
    return;
  }
  let groups = P.len / P.gs;
  let row = item / groups;
  let c0 = (item % groups) * P.gs;
  let base = row * P.len + c0;
  var s = 0.0;
  for (var i = lid; i < P.gs; i = i + WG) {
    let v = gated(base + i);
    s = s + v * v;
  }
  let r = inverseSqrt(reduce_sum(s, lid) / f32(P.gs) + P.eps);
  for (var i = lid; i < P.gs; i = i + WG) {
    var v = gated(base + i) * r * f32(w[c0 + i]);
    if (BEFORE) {
      v = v * silu_f(f32(z[base + i]));
    }
    y[base + i] = TY(v);
  }
}
