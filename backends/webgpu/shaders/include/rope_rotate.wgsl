// GPT-NeoX rotary embedding of one pair (x1, x2) = (x[i], x[i + Dh/2]) at position pos, in f32: angle =
// f32(pos · inv_freq[i]) (inv_freq from the host, computed in f32 as the contract says), sin and cos to ~1 ulp
// (sincos_f); returns (x1·c − x2·s, x2·c + x1·s) with s = sign·sin (sign −1: the inverse rotation). Shared by
// rope.wgsl and attention_decode_step.wgsl, so the fused decode step ropes exactly as the Rope kernel.
fn rope_rotate(x1: f32, x2: f32, pos: i32, inv: f32, sign: f32) -> vec2<f32> {
  let sc = sincos_f(f32(pos) * inv);
  let s = sign * sc.x;
  let c = sc.y;
  return vec2<f32>(x1 * c - x2 * s, x2 * c + x1 * s);
}
