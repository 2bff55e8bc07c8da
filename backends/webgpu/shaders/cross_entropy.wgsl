// Per-row cross-entropy of logits [rows, len] against labels, one workgroup per row, in f32:
//   loss = logsumexp(x) − x[label]; rows whose label is P.ignore give 0.
// With GRAD: dx = dloss · (softmax(x) − onehot(label)), ignored rows 0.
// #include "row_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  let base = row * P.len;
  let label = labels[row];
  let ignored = label == P.ignore;
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
  if (GRAD) {
    let g = f32(dloss[row]);
    for (var i = lid; i < P.len; i = i + WG) {
      var v = exp(f32(x[base + i]) - mx) / total;
      if (i32(i) == label) {
        v = v - 1.0;
      }
      y[base + i] = TY(select(g * v, 0.0, ignored));
    }
    return;
  }
  if (lid == 0u) {
    var loss = 0.0;
    if (!ignored) {
      var picked = nan_f32();
      if (label >= 0 && u32(label) < P.len) {
        picked = f32(x[base + u32(label)]);
      }
      loss = mx + log(total) - picked;
    }
    y[row] = TY(loss);
  }
}
