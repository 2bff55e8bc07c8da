// Prefix sums along the middle axis of [outer, len, inner], one invocation per (outer, inner) line, accumulating
// in TC (f32 or i32). P.exclusive leaves out the term itself; P.reverse runs from the end.
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
  var acc = TC(0);
  for (var s = 0u; s < P.len; s = s + 1u) {
    let r = select(s, P.len - 1u - s, P.reverse != 0u);
    let at = base + r * P.inner;
    let v = TC(x[at]);
    if (P.exclusive != 0u) {
      y[at] = TY(acc);
      acc = acc + v;
    } else {
      acc = acc + v;
      y[at] = TY(acc);
    }
  }
}
