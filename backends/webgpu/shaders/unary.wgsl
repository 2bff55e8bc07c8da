// y = op(x), elementwise. The header defines TC (compute type), TY (stored type) and `fn op(v: TC) -> TC`.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  y[i] = TY(op(TC(x[i])));
}
