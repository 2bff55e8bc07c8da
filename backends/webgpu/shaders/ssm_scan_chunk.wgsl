// Chunked Mamba2 scan, pass 1 of 3: every chunk of Q tokens runs the recurrence from a zero state, in parallel
// over (b, chunk, h, p), one invocation each, the state row S[p, :] (NS values) in registers:
//   S_t = exp(dt_t·A)·S_{t−1} + dt_t·x_t ⊗ Bm_t   (S_{t−1} = 0 at a document boundary),  ylocal_t = S_t·Cm_t
// It writes ylocal (f32), the chunk's end state, and (p = 0) the chunk's total log-decay Σ dt·A and whether a
// document boundary occurs in it (then the state entering the chunk does not pass through).
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
  var S: array<f32, NS>;
  for (var n = 0u; n < NS; n = n + 1u) {
    S[n] = 0.0;
  }
  let t0 = c * P.chunk;
  let t1 = min(T, t0 + P.chunk);
  var logdecay = 0.0;
  var boundary = 0u;
  for (var t = t0; t < t1; t = t + 1u) {
    let dtv = f32(dt[(b * T + t) * H + h]);
    var decay = exp(dtv * a);
    logdecay = logdecay + dtv * a;
    if (P.has_seq != 0u && t > 0u && seq[b * T + t] != seq[b * T + t - 1u]) {
      decay = 0.0;
      boundary = 1u;
    }
    let xv = dtv * f32(x[((b * T + t) * H + h) * Pd + p]);
    let bc = ((b * T + t) * G + g) * NS;
    var acc = 0.0;
    for (var n = 0u; n < NS; n = n + 1u) {
      let s = decay * S[n] + xv * f32(Bm[bc + n]);
      S[n] = s;
      acc = acc + s * f32(Cm[bc + n]);
    }
    ylocal[((b * T + t) * H + h) * Pd + p] = acc;
  }
  let sbase = (((b * P.chunks + c) * H + h) * Pd + p) * NS;
  for (var n = 0u; n < NS; n = n + 1u) {
    states[sbase + n] = S[n];
  }
  if (p == 0u) {
    let k = (b * P.chunks + c) * H + h;
    chunk_decay[k] = logdecay;
    chunk_cut[k] = boundary;
  }
}
