// SwiGlu read from one packed [gate; up] projection (a decode step's gate_proj and up_proj as one product): row r of
// gateUp holds gate = gateUp[r, :I] and up = gateUp[r, I:]. swi_glu.wgsl's arithmetic on those two halves, in f32 and
// rounded once to the storage type, so the result has SwiGlu's bits:
//   y[r, c] = up[r, c] ⊙ silu(gate[r, c] · m)
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let row = i / P.inner;
  let g = i + row * P.inner; // row · 2I + c
  y[i] = TY(f32(gateUp[g + P.inner]) * silu_f(f32(gateUp[g]) * P.m));
}
