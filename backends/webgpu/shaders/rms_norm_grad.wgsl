// Backward of rms_norm.wgsl (GATE = 0u) and rms_norm_gated.wgsl (GATE = 1u: normBeforeGate false; 2u: true), one
// workgroup per (row, group) of P.gs channels (plain RMSNorm: one group per row), in f32. With s = silu(z) (1
// without a gate), v the normalised input (x ⊙ s when GATE = 1u, else x), r = rsqrt(mean_group(v²) + eps),
// n = v·r and dn = w ⊙ dy (⊙ s when GATE = 2u):
//   dv = r·dn − v · r³ · mean_group(dn ⊙ v)
//   dx = dv ⊙ s (GATE = 1u) or dv
//   dz = dv ⊙ x ⊙ silu'(z) (GATE = 1u) or dy ⊙ w ⊙ n ⊙ silu'(z) (GATE = 2u)
//   dweight share = dy ⊙ n (⊙ s when GATE = 2u); without a gate n is first rounded to x's dtype, as the forward does
// The shares go to the f32 scratch `part` [rows, len]; the caller sums them over the rows. Without a gate, z and dz
// are placeholders the shader never touches.
// #include "row_reduce.wgsl"

fn gate(i: u32) -> f32 {
  if (GATE == 0u) {
    return 1.0;
  }
  return silu_f(f32(z[i]));
}

// d silu(z) / dz = σ(z) · (1 + z · (1 − σ(z)))
fn silu_grad(zv: f32) -> f32 {
  let sg = sigmoid_f(zv);
  return sg * (1.0 + zv * (1.0 - sg));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let item = group_index(wid, nwg);
  if (item >= P.items) {
    return;
  }
  let groups = P.len / P.gs;
  let c0 = (item % groups) * P.gs;
  let base = (item / groups) * P.len + c0;
  var sum_vv = 0.0;
  var sum_dnv = 0.0;
  for (var i = lid; i < P.gs; i = i + WG) {
    let s = gate(base + i);
    let v = select(f32(x[base + i]), f32(x[base + i]) * s, GATE == 1u);
    let dn = f32(w[c0 + i]) * f32(dy[base + i]) * select(1.0, s, GATE == 2u);
    sum_vv = sum_vv + v * v;
    sum_dnv = sum_dnv + dn * v;
  }
  let count = f32(P.gs);
  let r = inverseSqrt(reduce_sum(sum_vv, lid) / count + P.eps);
  let c = r * r * r * reduce_sum(sum_dnv, lid) / count;
  for (var i = lid; i < P.gs; i = i + WG) {
    let xv = f32(x[base + i]);
    let d = f32(dy[base + i]);
    let s = gate(base + i);
    let v = select(xv, xv * s, GATE == 1u);
    let dv = r * f32(w[c0 + i]) * d * select(1.0, s, GATE == 2u) - v * c;
    dx[base + i] = TY(select(dv, dv * s, GATE == 1u));
    var n = v * r;
    if (GATE == 0u) {
      n = f32(TY(n));
    } else {
      let dsilu = silu_grad(f32(z[base + i]));
      dz[base + i] = TZ(select(d * f32(w[c0 + i]) * n * dsilu, dv * xv * dsilu, GATE == 1u));
    }
    part[base + i] = d * n * select(1.0, s, GATE == 2u);
  }
}
