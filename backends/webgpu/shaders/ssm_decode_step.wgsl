// The Mamba2 mixer's decode step after in_proj (SsmDecodeStep), in one dispatch, from the packed row
// zxbcdt[b] = [… | z (H·P) | x B C (convDim) | dtRaw (H) | …] (P.row columns, the step's from column P.zoff: 0 for
// SsmDecodeStep, the attr offset for SsmDecodeStepInPlace, which reads its part of a wider projection):
//   conv     xBC' = act(bias + Σ_k w[c,k]·state'[b,c,k]) (state' = convState shifted left, the new column last),
//            rounded to TY as CausalConv1dUpdate stores it
//   dt       = softplus(dtRaw + dtBias), clamped to [dt_min, dt_max] when P.has_clamp
//   state'   = exp(dt·A)·state + dt·x ⊗ B;  y = state'·C + D·x   (ssm_step.wgsl's recurrence, in f32)
//   y        = y·silu(z) when GATE, stored as YT (TY with the gate, f32 without)
// One workgroup per (b, h, tile of ROWS p-rows): first it computes the conv outputs it needs into workgroup memory
// — its tile's ROWS x channels and all 2N channels of its group's B and C (recomputed by every workgroup of the
// group: 2N·K multiply-adds, cheaper than a second dispatch) — writing the x channels' next conv state, and the
// group's B and C next conv state only in the group's first workgroup (h the group's first head, tile 0): every
// next-state column has exactly one writer. Then, as ssm_step.wgsl, a warp-sized group of LANES invocations per
// row updates its state and makes y (include/ssm_decode_row.wgsl). Devices with fewer than its 11 storage buffers
// per stage run the same in two dispatches instead: ssm_decode_conv.wgsl, then ssm_decode_scan.wgsl.
// The header defines TY (activations), YT (y), SILU (the conv's activation) and GATE.
// #include "ssm_state_row.wgsl"
// #include "ssm_decode_row.wgsl"
// #include "ssm_decode_dt.wgsl"
// #include "conv_update_channel.wgsl"
const MAX_STATE: u32 = 256u;
var<workgroup> xbc: array<f32, ROWS + 2u * MAX_STATE>;

fn state_x(r: u32) -> f32 {
  return xbc[r];
}

fn state_b(bc: u32, n: u32) -> f32 {
  return xbc[ROWS + n];
}

fn state_c(bc: u32, n: u32) -> f32 {
  return xbc[ROWS + P.nstate + n];
}

// The conv output of channel c of row b, rounded to TY as CausalConv1dUpdate stores it; `own`: this workgroup
// writes the channel's next state.
fn conv_channel(b: u32, c: u32, own: bool) -> f32 {
  let xv = f32(zxbcdt[b * P.row + P.zoff + P.heads * P.pdim + c]);
  return f32(TY(conv_update_channel(c, (b * P.conv_dim + c) * P.width, xv, own)));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let flat = group_index(wid, nwg);
  if (flat >= P.n) {
    return;
  }
  let t = decode_tile(flat);
  let N = P.nstate;
  let dssm = P.heads * P.pdim;
  let owns_bc = t.h % (P.heads / P.groups) == 0u && t.p0 == 0u;
  let gn = P.groups * N;
  for (var i = lid; i < ROWS + 2u * N; i = i + WG) {
    if (i < t.rows) {
      xbc[i] = conv_channel(t.b, t.h * P.pdim + t.p0 + i, true);
    } else if (i >= ROWS) {
      let j = i - ROWS;
      // B's channels, then C's: dssm + g·N + j, and dssm + G·N + g·N + (j − N).
      let c = dssm + t.g * N + select(gn - N + j, j, j < N);
      xbc[i] = conv_channel(t.b, c, owns_bc);
    }
  }
  workgroupBarrier();

  let dtv = ssm_decode_dt(f32(zxbcdt[t.b * P.row + P.zoff + dssm + P.conv_dim + t.h]), f32(dt_bias[t.h]));
  ssm_decode_row(t.b, t.h, t.p0, t.rows, dtv, 0u, lid);
}
