// Decode attention, pass 2 of 2: merges the C split partials (m, l, o[DV]) of attention_split.wgsl for one query
// row per workgroup: M = max m_c, L = Σ l_c·exp(m_c − M), out = Σ o_c·exp(m_c − M) / L (zeros when no key of
// any split was visible, L = 0; a NaN split stays NaN). Query row r's output begins at
// (r / P.group)·P.ostride + P.oskip + (r % P.group)·DV: r·DV for Attention (group 1, ostride DV, oskip 0);
// AttentionDecodeStep's rows of Hq heads after a prefix of P.oskip columns.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.n) {
    return;
  }
  let C = P.splits;
  let base = row * C * (DV + 2u);
  var M = -inf_f32();
  for (var c = 0u; c < C; c = c + 1u) {
    if (part[base + c * (DV + 2u) + 1u] != 0.0) {
      M = max_nan(M, part[base + c * (DV + 2u)]);
    }
  }
  var L = 0.0;
  for (var c = 0u; c < C; c = c + 1u) {
    let l = part[base + c * (DV + 2u) + 1u];
    if (l != 0.0) {
      L = L + l * exp(part[base + c * (DV + 2u)] - M);
    }
  }
  let inv = select(1.0 / L, 0.0, L == 0.0);
  let out_at = (row / P.group) * P.ostride + P.oskip + (row % P.group) * DV;
  for (var d = lid; d < DV; d = d + WG) {
    var o = 0.0;
    for (var c = 0u; c < C; c = c + 1u) {
      let at = base + c * (DV + 2u);
      if (part[at + 1u] != 0.0) {
        o = o + part[at + 2u + d] * exp(part[at] - M);
      }
    }
    out[out_at + d] = TY(o * inv);
  }
}
