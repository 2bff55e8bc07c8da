// C[r, n] = Σ_k A[r, k] · B[n, k] for the few rows R of A that a decode step has (one per sequence), B stored
// [N, K] as a linear layer's weight: the GEMM's 16·TM-row tiles would compute 64× the work for one row. A
// workgroup computes NPW consecutive outputs n for all R rows: each of its NPW groups of LANES invocations strides
// over K (consecutive k across the lanes: coalesced reads of one row of B), accumulating in f32, then the lanes'
// partial sums are added in workgroup memory. The header defines R (u32 const) and TY.
const LANES: u32 = 32u;
const NPW: u32 = WG / LANES;
var<workgroup> part: array<f32, WG * R>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let lane = lid % LANES;
  let n = group_index(wid, nwg) * NPW + lid / LANES;
  let K = P.K;
  let N = P.N;
  var acc: array<f32, R>;
  for (var r = 0u; r < R; r = r + 1u) {
    acc[r] = 0.0;
  }
  if (n < N) {
    let row = n * K;
    for (var k = lane; k < K; k = k + LANES) {
      let w = f32(b[row + k]);
      for (var r = 0u; r < R; r = r + 1u) {
        acc[r] = acc[r] + f32(a[r * K + k]) * w;
      }
    }
  }
  for (var r = 0u; r < R; r = r + 1u) {
    part[r * WG + lid] = acc[r];
  }
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      for (var r = 0u; r < R; r = r + 1u) {
        part[r * WG + lid] = part[r * WG + lid] + part[r * WG + lid + s];
      }
    }
    workgroupBarrier();
  }
  if (lane == 0u && n < N) {
    for (var r = 0u; r < R; r = r + 1u) {
      c[r * N + n] = TY(part[r * WG + lid]);
    }
  }
}
