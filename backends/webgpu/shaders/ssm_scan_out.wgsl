// Chunked Mamba2 scan, pass 3 of 3: the entering state's contribution, one invocation per (b, chunk, h, p):
//   y_t = ylocal_t + exp(Σ_{chunk start..t} dt·A) · Cm_t · S_enter  (until the chunk's first document boundary)
//         + D·x_t
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let H = P.heads;
  let Pd = P.pdim;
  let T = P.time;
  let G = P.groups;
  let p = idx % Pd;
  let h = (idx / Pd) % H;
  let c = (idx / (Pd * H)) % P.chunks;
  let b = idx / (Pd * H * P.chunks);
  let g = h / (H / G);
  let a = f32(A[h]);
  var d = 0.0;
  if (P.has_d != 0u) {
    d = f32(D[h]);
  }
  let sbase = (((b * P.chunks + c) * H + h) * Pd + p) * NS;
  let t0 = c * P.chunk;
  let t1 = min(T, t0 + P.chunk);
  var cum = 0.0;
  var alive = true;
  for (var t = t0; t < t1; t = t + 1u) {
    let dtv = f32(dt[(b * T + t) * H + h]);
    cum = cum + dtv * a;
    if (P.has_seq != 0u && t > 0u && seq[b * T + t] != seq[b * T + t - 1u]) {
      alive = false;
    }
    let at = ((b * T + t) * H + h) * Pd + p;
    var v = ylocal[at];
    if (alive) {
      let bc = ((b * T + t) * G + g) * NS;
      var acc = 0.0;
      for (var n = 0u; n < NS; n = n + 1u) {
        acc = acc + f32(Cm[bc + n]) * states[sbase + n];
      }
      v = v + exp(cum) * acc;
    }
    y[at] = TY(v + d * f32(x[at]));
  }
}
