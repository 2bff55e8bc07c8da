// SsmDecodeStep's dt for one (b, h), in f32: softplus(dtRaw + dtBias), clamped to [P.dt_min, P.dt_max] when
// P.has_clamp (NaN stays NaN, as the Clamp kernel leaves it). Shared by ssm_decode_step.wgsl and ssm_decode_conv.wgsl.
fn ssm_decode_dt(raw: f32, bias: f32) -> f32 {
  var dt = softplus_f(raw + bias);
  if (P.has_clamp != 0u && !is_nan(dt)) {
    dt = min(max(dt, P.dt_min), P.dt_max);
  }
  return dt;
}
