// SsmDecodeStep in two dispatches, pass 1 of 2 (devices with fewer than the 11 storage buffers per stage that
// ssm_decode_step.wgsl binds; 8 here): one invocation per (b, c) of the conv's channels makes the conv output
// xBC'[b, c] (rounded to TY as CausalConv1dUpdate stores it, kept as f32 in xbc) and the channel's next conv state
// (include/conv_update_channel.wgsl); invocations idx < B·H also make dt[idx] (include/ssm_decode_dt.wgsl).
// ssm_decode_scan.wgsl reads both. The header defines TY and SILU.
// #include "ssm_decode_dt.wgsl"
// #include "conv_update_channel.wgsl"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = group_index(wid, nwg) * WG + lid;
  let H = P.heads;
  let dssm = H * P.pdim;
  if (idx < P.batch * H) {
    let raw = zxbcdt[(idx / H) * P.row + P.zoff + dssm + P.conv_dim + idx % H];
    dt[idx] = ssm_decode_dt(f32(raw), f32(dt_bias[idx % H]));
  }
  if (idx >= P.n) {
    return;
  }
  let c = idx % P.conv_dim;
  let xv = f32(zxbcdt[(idx / P.conv_dim) * P.row + P.zoff + dssm + c]);
  xbc[idx] = f32(TY(conv_update_channel(c, idx * P.width, xv, true)));
}
