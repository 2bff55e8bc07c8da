// Causal depthwise conv1d over time, one invocation per (b, t, c):
//   y[b,t,c] = act(bias[c] + Σ_k w[c,k] · xin[b, t−(K−1)+k, c])
// where xin at negative times reads init[b, c, K−1+s] (zeros without P.has_init), and with P.has_seq a term counts
// only if its document (seq[b,0] for initial columns) is seq[b,t]. SILU selects the activation.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  let C = P.channels;
  let T = P.time;
  let K = P.width;
  let c = idx % C;
  let t = (idx / C) % T;
  let b = idx / (C * T);
  var acc = 0.0;
  if (P.has_bias != 0u) {
    acc = f32(bias[c]);
  }
  var doc = 0;
  if (P.has_seq != 0u) {
    doc = seq[b * T + t];
  }
  for (var k = 0u; k < K; k = k + 1u) {
    let s = i32(t) - i32(K - 1u) + i32(k);
    var v = 0.0;
    if (s >= 0) {
      if (P.has_seq == 0u || seq[b * T + u32(s)] == doc) {
        v = f32(x[(b * T + u32(s)) * C + c]);
      }
    } else if (P.has_init != 0u) {
      if (P.has_seq == 0u || seq[b * T] == doc) {
        v = f32(init[(b * C + c) * (K - 1u) + u32(i32(K - 1u) + s)]);
      }
    }
    acc = acc + f32(w[c * K + k]) * v;
  }
  if (SILU) {
    acc = silu_f(acc);
  }
  y[idx] = TY(acc);
}
