// Softmax along the last axis of [rows, len], one workgroup per row: max, then Σ exp(x − max), then the
// quotient, in f32. Also SoftmaxGrad when GRAD: dx = y ⊙ (dy − Σ dy ⊙ y) with x = y and dy bound.
// #include "row_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  let base = row * P.len;
  if (GRAD) {
    var s = 0.0;
    for (var i = lid; i < P.len; i = i + WG) {
      s = s + f32(dy[base + i]) * f32(x[base + i]);
    }
    let total = reduce_sum(s, lid);
    for (var i = lid; i < P.len; i = i + WG) {
      let yv = f32(x[base + i]);
      y[base + i] = TY(yv * (f32(dy[base + i]) - total));
    }
    return;
  }
  var m = -inf_f32();
  for (var i = lid; i < P.len; i = i + WG) {
    m = max_nan(m, f32(x[base + i]));
  }
  let mx = reduce_max(m, lid);
  var s = 0.0;
  for (var i = lid; i < P.len; i = i + WG) {
    s = s + exp(f32(x[base + i]) - mx);
  }
  let total = reduce_sum(s, lid);
  for (var i = lid; i < P.len; i = i + WG) {
    y[base + i] = TY(exp(f32(x[base + i]) - mx) / total);
  }
}
