// acc[idx[j], c] += upd[j, c] in f32 through compare-exchange (WGSL has no float atomics); acc starts at 0.
// Rows outside [0, P.rows) are skipped.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let j = i / P.rest;
  let c = i % P.rest;
  let row = idx[j];
  if (row < 0 || u32(row) >= P.rows) {
    return;
  }
  let v = f32(upd[i]);
  let k = u32(row) * P.rest + c;
  var old = atomicLoad(&acc[k]);
  loop {
    let next = bitcast<u32>(bitcast<f32>(old) + v);
    let r = atomicCompareExchangeWeak(&acc[k], old, next);
    if (r.exchanged) {
      break;
    }
    old = r.old_value;
  }
}
