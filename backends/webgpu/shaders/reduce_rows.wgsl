// Reduction of each row of [rows, len] by one workgroup: strided accumulation, then a tree in workgroup memory.
// The header defines TC, TY, `fn init() -> TC`, `fn combine(a: TC, b: TC) -> TC` and `fn finish(a: TC) -> TC`.
var<workgroup> partial: array<TC, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  var acc = init();
  for (var r = lid; r < P.len; r = r + WG) {
    acc = combine(acc, TC(x[row * P.len + r]));
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      partial[lid] = combine(partial[lid], partial[lid + s]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[row] = TY(finish(partial[0]));
  }
}
