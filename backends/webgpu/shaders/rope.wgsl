// GPT-NeoX rotary embedding, one invocation per (b·t, h, i < half): rope_rotate (include/rope_rotate.wgsl) of the
// pair (x[i], x[i + half]), rounded once. P.sign = −1 for the inverse rotation.
// #include "rope_rotate.wgsl"
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
  let base = (bt * P.heads + h) * 2u * P.half;
  let r = rope_rotate(f32(x[base + i]), f32(x[base + i + P.half]), pos[bt], inv_freq[i], P.sign);
  y[base + i] = TY(r.x);
  y[base + i + P.half] = TY(r.y);
}
