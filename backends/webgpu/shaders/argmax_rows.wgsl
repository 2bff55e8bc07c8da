// Index of the first maximum of each row of [rows, len] by one workgroup (long rows: vocabularies). NaN counts as
// the largest value; ties and NaNs resolve to the smallest index. Same header as argmax.
var<workgroup> best_v: array<TC, WG>;
var<workgroup> best_i: array<u32, WG>;

// Whether (v, i) beats (w, j).
fn beats(v: TC, i: u32, w: TC, j: u32) -> bool {
  if (nan_c(v)) {
    return !nan_c(w) || i < j;
  }
  if (nan_c(w)) {
    return false;
  }
  return v > w || (v == w && i < j);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  var bv = TC(x[row * P.len]);
  var bi = 0u;
  for (var r = lid; r < P.len; r = r + WG) {
    let v = TC(x[row * P.len + r]);
    if (beats(v, r, bv, bi)) {
      bv = v;
      bi = r;
    }
  }
  best_v[lid] = bv;
  best_i[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s && beats(best_v[lid + s], best_i[lid + s], best_v[lid], best_i[lid])) {
      best_v[lid] = best_v[lid + s];
      best_i[lid] = best_i[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[row] = i32(best_i[0]);
  }
}
