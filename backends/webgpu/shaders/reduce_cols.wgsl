// Reduction over the middle axis of [outer, len, inner]: one invocation per (outer, inner) pair, reading
// consecutive inner elements together. Same header as reduce_rows.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let o = i / P.inner;
  let k = i % P.inner;
  let base = o * P.len * P.inner + k;
  var acc = init();
  for (var r = 0u; r < P.len; r = r + 1u) {
    acc = combine(acc, TC(x[base + r * P.inner]));
  }
  y[i] = TY(finish(acc));
}
