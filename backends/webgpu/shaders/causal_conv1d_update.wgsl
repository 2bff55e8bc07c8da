// One decode step of the causal conv, one invocation per (b, c): the state [B, C, K] shifts left by one and takes
// x[b, c] last; y[b, c] = act(bias[c] + Σ_k w[c,k] · state'[b,c,k]).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let c = idx % P.channels;
  let K = P.width;
  var acc = 0.0;
  if (P.has_bias != 0u) {
    acc = f32(bias[c]);
  }
  for (var k = 0u; k < K; k = k + 1u) {
    var v: f32;
    if (k + 1u < K) {
      v = f32(state[idx * K + k + 1u]);
    } else {
      v = f32(x[idx]);
    }
    new_state[idx * K + k] = TY(v);
    acc = acc + f32(w[c * K + k]) * v;
  }
  if (SILU) {
    acc = silu_f(acc);
  }
  y[idx] = TY(acc);
}
