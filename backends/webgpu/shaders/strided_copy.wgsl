// Moves elements between two strided views of one index space: y[ybase + Σ c_d·sy_d] = x[xbase + Σ c_d·sx_d].
// Slice (strided read), Transpose (permuted strides) and Concat (strided write into the output) all use it.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  var rem = i;
  var ix = P.xbase;
  var iy = P.ybase;
  for (var d = i32(P.rank) - 1; d >= 0; d = d - 1) {
    let k = u32(d);
    let n = u8at(P.shape, k);
    let c = rem % n;
    rem = rem / n;
    ix = ix + c * u8at(P.sx, k);
    iy = iy + c * u8at(P.sy, k);
  }
  y[iy] = x[ix];
}
