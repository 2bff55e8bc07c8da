// y = cond != 0 ? a : b, all three broadcast to the output shape (strides 0 on stretched dimensions).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  var rem = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(P.rank) - 1; d >= 0; d = d - 1) {
    let k = u32(d);
    let n = u8at(P.shape, k);
    let c = rem % n;
    rem = rem / n;
    ic = ic + c * u8at(P.sc, k);
    ia = ia + c * u8at(P.sa, k);
    ib = ib + c * u8at(P.sb, k);
  }
  y[i] = select(b[ib], a[ia], cond[ic] != 0u);
}
