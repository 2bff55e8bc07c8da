// Embedding lookup: y[j, c] = table[idx[j], c] for j < P.count, c < P.rest. An index outside [0, P.rows) gives 0.
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
    y[i] = TY(0);
    return;
  }
  y[i] = table[u32(row) * P.rest + c];
}
