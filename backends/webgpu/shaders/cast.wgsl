// y = conv(x), elementwise dtype conversion (the header's `fn conv(v: TX) -> TY`).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  y[i] = conv(x[i]);
}

// float -> i32 as a JavaScript Int32Array store: truncate toward zero, wrap modulo 2^32, NaN and ±inf give 0.
fn f32_to_i32_wrap(v: f32) -> i32 {
  if (is_nan(v) || abs(v) == inf_f32()) {
    return 0;
  }
  let t = trunc(v);
  if (abs(t) < 2147483648.0) {
    return i32(t);
  }
  let m = t - floor(t / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(m));
}
