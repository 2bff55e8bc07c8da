// Concat of up to 4 inputs along one axis in one dispatch (one per input as strided copies would be 4). The output
// is viewed as [outer, width] where input k covers columns [e_k, e_{k+1}) (e_0 = 0, its extent along the axis times
// the elements after the axis): element r of output row o is x_k[o · (e_{k+1} − e_k) + r − e_k]. Absent inputs
// have empty column ranges (their bindings are never read).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let o = i / P.width;
  let r = i % P.width;
  if (r < P.e1) {
    y[i] = x0[o * P.e1 + r];
  } else if (r < P.e2) {
    y[i] = x1[o * (P.e2 - P.e1) + r - P.e1];
  } else if (r < P.e3) {
    y[i] = x2[o * (P.e3 - P.e2) + r - P.e2];
  } else {
    y[i] = x3[o * (P.width - P.e3) + r - P.e3];
  }
}
