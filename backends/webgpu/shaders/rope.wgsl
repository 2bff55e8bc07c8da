// GPT-NeoX rotary embedding, one invocation per (b·t, h, i < half). inv_freq comes from the host, computed in f32
// exactly as the contract says; angle = f32(position · inv_freq); sin and cos to ~1 ulp (sincos_f); the rotation
// in f32, rounded once. P.sign = −1 for the inverse rotation.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = group_index(wid, nwg) * WG + lid;
  if (t >= P.n) {
    return;
  }
  let i = t % P.half;
  let h = (t / P.half) % P.heads;
  let bt = t / (P.half * P.heads);
  let angle = f32(pos[bt]) * inv_freq[i];
  let sc = sincos_f(angle);
  let s = P.sign * sc.x;
  let c = sc.y;
  let base = (bt * P.heads + h) * 2u * P.half;
  let x1 = f32(x[base + i]);
  let x2 = f32(x[base + i + P.half]);
  y[base + i] = TY(x1 * c - x2 * s);
  y[base + i + P.half] = TY(x2 * c + x1 * s);
}
