// One decode step of the Mamba2 scan, in f32:
//   state' = exp(dt·A)·state + dt·x ⊗ Bm;  y = state'·Cm + D·x   (head h reads group h / (H/G))
// One warp-sized group of LANES invocations per (b, h, p) row (include/ssm_state_row.wgsl). Rows past P.n still
// take part in the barriers.
// #include "ssm_state_row.wgsl"
fn state_b(bc: u32, n: u32) -> f32 {
  return f32(Bm[bc + n]);
}

fn state_c(bc: u32, n: u32) -> f32 {
  return f32(Cm[bc + n]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * ROWS + lid / LANES;
  let live = idx < P.n;
  let H = P.heads;
  var h = 0u;
  var xv = 0.0;
  var decay = 0.0;
  var dtx = 0.0;
  var bc = 0u;
  if (live) {
    h = (idx / P.pdim) % H;
    let b = idx / (P.pdim * H);
    let g = h / (H / P.groups);
    let dtv = f32(dt[b * H + h]);
    decay = exp(dtv * f32(A[h]));
    xv = f32(x[idx]);
    dtx = dtv * xv;
    bc = (b * P.groups + g) * P.nstate;
  }
  let total = ssm_state_row(live, idx, decay, dtx, bc, lid);
  if (live && lid % LANES == 0u) {
    var yv = total;
    if (P.has_d != 0u) {
      yv = yv + f32(D[h]) * xv;
    }
    y[idx] = TY(yv);
  }
}
