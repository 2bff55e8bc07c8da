// Chunked Mamba2 scan, pass 2 of 3: the states passed between chunks, sequential over chunks, one invocation per
// (b, h, p, n):  entering_c = S'_{c−1};  S'_c = (cut_c ? 0 : exp(Σ_c dt·A))·S'_{c−1} + S_c;  S'_{−1} = init (or 0).
// `states` is overwritten in place with the state entering each chunk; final = S'_{last}.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let H = P.heads;
  let PN = P.pdim * NS;
  let e = idx % PN;
  let h = (idx / PN) % H;
  let b = idx / (PN * H);
  var s = 0.0;
  if (P.has_init != 0u) {
    s = f32(init[idx]);
  }
  for (var c = 0u; c < P.chunks; c = c + 1u) {
    let k = (b * P.chunks + c) * H + h;
    let at = k * PN + e;
    let local = states[at];
    states[at] = s;
    var decay = exp(chunk_decay[k]);
    if (chunk_cut[k] != 0u) {
      decay = 0.0;
    }
    s = decay * s + local;
  }
  final_state[idx] = s;
}
