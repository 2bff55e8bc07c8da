// Index of the first maximum along the middle axis of [outer, len, inner] (NaN counts as the largest value, the
// first NaN wins). One invocation per (outer, inner) pair. The header defines TC and `fn nan_c(v: TC) -> bool`.
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
  var best = TC(x[base]);
  var at = 0u;
  if (!nan_c(best)) {
    for (var r = 1u; r < P.len; r = r + 1u) {
      let v = TC(x[base + r * P.inner]);
      if (nan_c(v)) {
        at = r;
        break;
      }
      if (v > best) {
        best = v;
        at = r;
      }
    }
  }
  y[i] = i32(at);
}
