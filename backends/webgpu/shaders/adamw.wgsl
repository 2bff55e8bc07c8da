// AdamW (PyTorch's), in place on param, m and v, one invocation per element, in f32:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr·(m/bc1)/(√(v/bc2) + eps)
// bc1 = 1 − β1^step and bc2 = 1 − β2^step come from the host.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wid, nwg) * WG + lid;
  if (i >= P.n) {
    return;
  }
  let g = f32(grad[i]);
  let p = f32(param[i]) * (1.0 - P.lr * P.wd);
  let mv = P.beta1 * m[i] + (1.0 - P.beta1) * g;
  let vv = P.beta2 * v[i] + (1.0 - P.beta2) * g * g;
  m[i] = mv;
  v[i] = vv;
  param[i] = TY(p - P.lr * (mv / P.bc1) / (sqrt(vv / P.bc2) + P.eps));
}
