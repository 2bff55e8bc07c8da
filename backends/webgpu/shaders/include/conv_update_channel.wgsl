// One channel of the causal conv's decode step, shared by causal_conv1d_update.wgsl and ssm_decode_step.wgsl: the
// channel's K-column state (at sbase of conv_state) shifts left by one and takes xv last;
//   y = act(conv_bias[c] + Σ_k conv_w[c,k] · state'[k])       in f32 (act: silu when SILU)
// state' is written to new_conv (as TY) where `own` (one writer per channel). Returns y unrounded.
fn conv_update_channel(c: u32, sbase: u32, xv: f32, own: bool) -> f32 {
  let K = P.width;
  var acc = 0.0;
  if (P.has_bias != 0u) {
    acc = f32(conv_bias[c]);
  }
  for (var k = 0u; k < K; k = k + 1u) {
    var v: f32;
    if (k + 1u < K) {
      v = f32(conv_state[sbase + k + 1u]);
    } else {
      v = xv;
    }
    if (own) {
      new_conv[sbase + k] = TY(v);
    }
    acc = acc + f32(conv_w[c * K + k]) * v;
  }
  if (SILU) {
    acc = silu_f(acc);
  }
  return acc;
}
