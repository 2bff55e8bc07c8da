// The decode matrix-vector product of matvec.wgsl with the lanes' sums by subgroup operations: each subgroup of SG
// lanes adds its partial sums with subgroupAdd; with SG = 32 that is the output (no workgroup memory, no barrier),
// with SG < 32 the LANES / SG subgroup sums of one output meet in workgroup memory (one barrier). Subgroups are
// taken to be SG consecutive invocations of the 1-D workgroup (lanes lid − lid % SG …), as Vulkan drivers form
// them: the conformance suite on an adapter checks that before subgroups are turned on there (opt-in: gpu.ts).
// The header defines SG (u32 const) besides what include/matvec_lanes.wgsl needs.
// #include "matvec_lanes.wgsl"
const SUBS: u32 = LANES / SG;
var<workgroup> part: array<f32, (WG / SG) * R>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) sgl: u32,
) {
  let lane = lid % LANES;
  let n = outputOf(wid, nwg, lid);
  let r0 = wid.z * R;
  let N = P.N;
  let acc = lanePartials(lane, n, r0);
  var sums: array<f32, R>;
  for (var r = 0u; r < R; r = r + 1u) {
    sums[r] = subgroupAdd(acc[r]);
  }
  if (SUBS == 1u) {
    if (sgl == 0u && n < N) {
      for (var r = 0u; r < R && r0 + r < P.rows; r = r + 1u) {
        c[(r0 + r) * N + n] = TY(sums[r]);
      }
    }
    return;
  }
  let sub = lid / SG;
  if (sgl == 0u) {
    for (var r = 0u; r < R; r = r + 1u) {
      part[r * (WG / SG) + sub] = sums[r];
    }
  }
  workgroupBarrier();
  if (lane == 0u && n < N) {
    for (var r = 0u; r < R && r0 + r < P.rows; r = r + 1u) {
      var sum = 0.0;
      for (var s = 0u; s < SUBS; s = s + 1u) {
        sum = sum + part[r * (WG / SG) + sub + s];
      }
      c[(r0 + r) * N + n] = TY(sum);
    }
  }
}
