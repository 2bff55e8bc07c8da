// The state update of one (b, h, p) row of the Mamba2 decode step, shared by ssm_step.wgsl and
// ssm_decode_step.wgsl: a warp-sized group of LANES invocations per row strides over the N state entries
// (consecutive lanes on consecutive entries: the row's state is read and written in contiguous runs),
//   state'[n] = decay·state[n] + dtx·B[n]      (decay = exp(dt·A), dtx = dt·x; in f32)
// then their partial dot products with C are added in workgroup memory. Every invocation of the workgroup calls it
// (the barriers); rows that are not `live` add 0. The including shader binds state and new_state (f32) and defines
// state_b(bc, n) and state_c(bc, n) -> f32: entry n of B and C of the row's group (bc: where the group's start).
const LANES: u32 = 32u;
const ROWS: u32 = WG / LANES;
var<workgroup> part: array<f32, WG>;

// The row's Σ_n state'[n]·C[n] in its lane 0 (idx: the row, whose N entries start at idx·N).
fn ssm_state_row(live: bool, idx: u32, decay: f32, dtx: f32, bc: u32, lid: u32) -> f32 {
  let lane = lid % LANES;
  let N = P.nstate;
  var acc = 0.0;
  if (live) {
    for (var n = lane; n < N; n = n + LANES) {
      let s = decay * state[idx * N + n] + dtx * state_b(bc, n);
      new_state[idx * N + n] = s;
      acc = acc + s * state_c(bc, n);
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      part[lid] = part[lid] + part[lid + s];
    }
    workgroupBarrier();
  }
  return part[lid];
}
