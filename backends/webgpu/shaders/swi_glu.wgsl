// Falcon-H1's gated MLP activation with its μP gate multiplier, in f32 and rounded once to the storage type:
//   y = up ⊙ silu(gate · m)
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  y[i] = TY(f32(up[i]) * silu_f(f32(gate[i]) * P.m));
}
