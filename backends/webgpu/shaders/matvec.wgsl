// C[r, n] = Σ_k A[r, k] · B[n, k] for the few rows of A that a decode step has (one per sequence), B stored
// [N, K] as a linear layer's weight: the GEMM's 16·TM-row tiles would compute 64× the work for one row, and a
// decode step is bound by streaming the weights, so this kernel is organised around B's loads
// (include/matvec_lanes.wgsl). The lanes' f32 partial sums are then added in workgroup memory (LANES = 32 is assumed
// by that sum); matvec_subgroups.wgsl adds them with subgroupAdd instead.
// More than R rows: workgroup z takes rows z·R … z·R + R − 1 (P.rows in all; rows past the end re-read the last
// row and store nothing); those workgroups read the same rows of B at about the same time, from L2.
// #include "matvec_lanes.wgsl"
var<workgroup> part: array<f32, WG * R>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let lane = lid % LANES;
  let n = outputOf(wid, nwg, lid);
  let r0 = wid.z * R;
  let N = P.N;
  let acc = lanePartials(lane, n, r0);
  // The lanes' sums in two rounds (two barriers, not log2(LANES)): lanes 0..7 add four lanes' each, lane 0 the eight.
  for (var r = 0u; r < R; r = r + 1u) {
    part[r * WG + lid] = acc[r];
  }
  workgroupBarrier();
  if (lane < 8u) {
    for (var r = 0u; r < R; r = r + 1u) {
      let at = r * WG + lid;
      part[at] = (part[at] + part[at + 8u]) + (part[at + 16u] + part[at + 24u]);
    }
  }
  workgroupBarrier();
  if (lane == 0u && n < N) {
    for (var r = 0u; r < R && r0 + r < P.rows; r = r + 1u) {
      let at = r * WG + lid;
      let sum = ((part[at] + part[at + 1u]) + (part[at + 2u] + part[at + 3u])) +
        ((part[at + 4u] + part[at + 5u]) + (part[at + 6u] + part[at + 7u]));
      c[(r0 + r) * N + n] = TY(sum);
    }
  }
}
