// SsmDecodeStep in two dispatches, pass 2 of 2: ssm_decode_step.wgsl's SSM half (include/ssm_decode_row.wgsl, one
// workgroup per (b, h, tile of ROWS p-rows)) over the conv outputs xbc [B, convDim] and dt [B, H] (f32) that
// ssm_decode_conv.wgsl made, read from memory instead of recomputed. 8 storage buffers.
// The header defines TY, YT and GATE.
// #include "ssm_state_row.wgsl"
// #include "ssm_decode_row.wgsl"
// Where the workgroup's x channels start in xbc.
var<private> x_at: u32;

fn state_x(r: u32) -> f32 {
  return xbc[x_at + r];
}

fn state_b(bc: u32, n: u32) -> f32 {
  return xbc[bc + n];
}

fn state_c(bc: u32, n: u32) -> f32 {
  return xbc[bc + P.groups * P.nstate + n];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let flat = group_index(wid, nwg);
  if (flat >= P.n) {
    return;
  }
  let t = decode_tile(flat);
  let xrow = t.b * P.conv_dim;
  x_at = xrow + t.h * P.pdim + t.p0;
  let bc = xrow + P.heads * P.pdim + t.g * P.nstate;
  ssm_decode_row(t.b, t.h, t.p0, t.rows, dt[t.b * P.heads + t.h], bc, lid);
}
