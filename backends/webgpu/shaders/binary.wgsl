// y = op(a, b) with NumPy broadcasting: the output index is decoded over the (collapsed) output shape and mapped
// to a and b through their broadcast strides (0 on stretched dimensions). The header defines TC and
// `fn op(a: TC, b: TC) -> TY` (arithmetic, or a comparison giving 1u/0u).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(P.rank) - 1; d >= 0; d = d - 1) {
    let k = u32(d);
    let n = u8at(P.shape, k);
    let c = rem % n;
    rem = rem / n;
    ia = ia + c * u8at(P.sa, k);
    ib = ib + c * u8at(P.sb, k);
  }
  y[i] = op(TC(a[ia]), TC(b[ib]));
}
