// One decode step of the causal conv, one invocation per (b, c): the state [B, C, K] shifts left by one and takes
// x[b, c] last; y[b, c] = act(bias[c] + Σ_k w[c,k] · state'[b,c,k]) (include/conv_update_channel.wgsl).
// #include "conv_update_channel.wgsl"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  if (idx >= P.n) {
    return;
  }
  y[idx] = TY(conv_update_channel(idx % P.channels, idx * P.width, f32(x[idx]), true));
}
