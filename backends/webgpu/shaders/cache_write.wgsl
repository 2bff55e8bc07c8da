// A decode step's rows written into a preallocated cache in place, one invocation per value:
//   cache[b, slots[b] + t, r] = values[b, t, r]      (slots[0] for every row when P.shared_slot is 1)
// A row whose window slots[b] … slots[b] + T − 1 leaves [0, L) is left unchanged. Values are stored as they are.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let r = i % P.rest;
  let bt = i / P.rest;
  let t = bt % P.steps;
  let b = bt / P.steps;
  let s = slots[select(b, 0u, P.shared_slot == 1u)];
  if (s < 0 || u32(s) + P.steps > P.len) {
    return;
  }
  cache[(b * P.len + u32(s) + t) * P.rest + r] = values[i];
}
