// The SSM half of SsmDecodeStep for one workgroup's (b, h, tile of ROWS p-rows), shared by ssm_decode_step.wgsl (one
// dispatch) and ssm_decode_scan.wgsl (the second of two): each row's state update (include/ssm_state_row.wgsl, which
// the shader includes too), then in its lane 0
//   y = state'·C + D·x,  times silu(z) when GATE,  stored as YT
// The including shader defines state_x(r) -> f32 (x of the tile's row r, rounded to TY as the conv stores it) and
// the state_b/state_c of ssm_state_row.wgsl at `bc`; it binds zxbcdt (z), A, D and y.
// The workgroup's share: row b, head h of group g, p-rows p0 … p0 + rows − 1 (workgroups over (b, h, P.tiles)).
struct DecodeTile {
  b: u32,
  h: u32,
  g: u32,
  p0: u32,
  rows: u32,
}

fn decode_tile(flat: u32) -> DecodeTile {
  let H = P.heads;
  let h = (flat / P.tiles) % H;
  let p0 = (flat % P.tiles) * ROWS;
  return DecodeTile(flat / (P.tiles * H), h, h / (H / P.groups), p0, min(ROWS, P.pdim - p0));
}

fn ssm_decode_row(b: u32, h: u32, p0: u32, rows: u32, dtv: f32, bc: u32, lid: u32) {
  let r = lid / LANES;
  let live = r < rows;
  let idx = (b * P.heads + h) * P.pdim + p0 + r;
  var xv = 0.0;
  if (live) {
    xv = state_x(r);
  }
  let total = ssm_state_row(live, idx, exp(dtv * f32(A[h])), dtv * xv, bc, lid);
  if (live && lid % LANES == 0u) {
    var yv = total;
    if (P.has_d != 0u) {
      yv = yv + f32(D[h]) * xv;
    }
    if (GATE) {
      yv = yv * silu_f(f32(zxbcdt[b * P.row + P.zoff + h * P.pdim + p0 + r]));
    }
    y[idx] = YT(yv);
  }
}
