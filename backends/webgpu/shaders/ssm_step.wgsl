// One decode step of the Mamba2 scan, in f32:
//   state' = exp(dt·A)·state + dt·x ⊗ Bm;  y = state'·Cm + D·x   (head h reads group h / (H/G))
// One warp-sized group of LANES invocations per (b, h, p) row: the lanes stride over the N state entries
// (consecutive lanes on consecutive entries: the row's state is read and written in contiguous runs), then add
// their partial dot products with Cm in workgroup memory. Rows past P.n still take part in the barriers.
const LANES: u32 = 32u;
const ROWS: u32 = WG / LANES;
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  let idx = group_index(wid, nwg) * ROWS + lid / LANES;
  let live = idx < P.n;
  let H = P.heads;
  let Pd = P.pdim;
  let N = P.nstate;
  var acc = 0.0;
  var xv = 0.0;
  var h = 0u;
  if (live) {
    h = (idx / Pd) % H;
    let b = idx / (Pd * H);
    let g = h / (H / P.groups);
    let dtv = f32(dt[b * H + h]);
    let decay = exp(dtv * f32(A[h]));
    xv = f32(x[idx]);
    let bc = (b * P.groups + g) * N;
    for (var n = lane; n < N; n = n + LANES) {
      let s = decay * state[idx * N + n] + dtv * xv * f32(Bm[bc + n]);
      new_state[idx * N + n] = s;
      acc = acc + s * f32(Cm[bc + n]);
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
  if (live && lane == 0u) {
    var yv = part[lid];
    if (P.has_d != 0u) {
      yv = yv + f32(D[h]) * xv;
    }
    y[idx] = TY(yv);
  }
}
