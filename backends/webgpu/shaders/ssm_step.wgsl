// One decode step of the Mamba2 scan, one invocation per (b, h, p), in f32:
//   state' = exp(dt·A)·state + dt·x ⊗ Bm;  y = state'·Cm + D·x   (head h reads group h / (H/G))
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let H = P.heads;
  let Pd = P.pdim;
  let N = P.nstate;
  let h = (idx / Pd) % H;
  let b = idx / (Pd * H);
  let g = h / (H / P.groups);
  let dtv = f32(dt[b * H + h]);
  let decay = exp(dtv * f32(A[h]));
  let xv = f32(x[idx]);
  let bc = (b * P.groups + g) * N;
  var acc = 0.0;
  for (var n = 0u; n < N; n = n + 1u) {
    let s = decay * state[idx * N + n] + dtv * xv * f32(Bm[bc + n]);
    new_state[idx * N + n] = s;
    acc = acc + s * f32(Cm[bc + n]);
  }
  if (P.has_d != 0u) {
    acc = acc + f32(D[h]) * xv;
  }
  y[idx] = TY(acc);
}
