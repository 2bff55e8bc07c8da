// C[r, n] = Σ_k A[r, k] · B[n, k] for the few rows of A that a decode step has (one per sequence), B stored
// [N, K] as a linear layer's weight: the GEMM's 16·TM-row tiles would compute 64× the work for one row, and a
// decode step is bound by streaming the weights, so this kernel is organised around B's loads.
//
// Each warp-sized group of LANES invocations owns one output n for R rows of A: its lanes stride over K in
// elements of WV (vec4<TY> when K % 4 = 0, else TY), consecutive lanes on consecutive elements (one load
// instruction reads LANES·16 contiguous bytes of a row of B), U = 8 independent loads in flight per iteration
// (a K = 1024 row is one iteration). Indices past K are clamped to K − 1 (valid memory) and their products
// dropped by a select, so the loop has no separate tail. The R rows of A are re-read from cache for each element.
// The lanes' f32 partial sums are then added in workgroup memory (LANES = 32 is assumed by that sum).
// More than R rows: workgroup z takes rows z·R … z·R + R − 1 (P.rows in all; rows past the end re-read the last
// row and store nothing); those workgroups read the same rows of B at about the same time, from L2.
// The header defines R (u32 const), TY, WV and dotf(WV, WV) -> f32. P.KV is K in units of WV.
const LANES: u32 = 32u;
const WARPS: u32 = WG / LANES;
const U: u32 = 8u;
var<workgroup> part: array<f32, WG * R>;

// w · A[row at arow, element kk], or 0 past the row's end (kk ≥ kv; the load is clamped into the row).
fn term(w: WV, arow: u32, kk: u32, kv: u32) -> f32 {
  return select(0.0, dotf(w, a[arow + min(kk, kv - 1u)]), kk < kv);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let lane = lid % LANES;
  let n = (wid.x + nwg.x * wid.y) * WARPS + lid / LANES;
  let r0 = wid.z * R;
  let KV = P.KV;
  let last = KV - 1u;
  let N = P.N;
  // An output past N reads row N − 1 (valid memory; its sum is not stored), so no load needs a bounds test.
  let boff = min(n, N - 1u) * KV;
  var aoff: array<u32, R>;
  for (var r = 0u; r < R; r = r + 1u) {
    aoff[r] = min(r0 + r, P.rows - 1u) * KV;
  }
  var acc: array<f32, R>;
  for (var k = lane; k < KV; k = k + U * LANES) {
    let k1 = k + LANES;
    let k2 = k + 2u * LANES;
    let k3 = k + 3u * LANES;
    let k4 = k + 4u * LANES;
    let k5 = k + 5u * LANES;
    let k6 = k + 6u * LANES;
    let k7 = k + 7u * LANES;
    let w0 = b[boff + k];
    let w1 = b[boff + min(k1, last)];
    let w2 = b[boff + min(k2, last)];
    let w3 = b[boff + min(k3, last)];
    let w4 = b[boff + min(k4, last)];
    let w5 = b[boff + min(k5, last)];
    let w6 = b[boff + min(k6, last)];
    let w7 = b[boff + min(k7, last)];
    for (var r = 0u; r < R; r = r + 1u) {
      let ar = aoff[r];
      acc[r] = acc[r] + (((dotf(w0, a[ar + k]) + term(w1, ar, k1, KV)) + (term(w2, ar, k2, KV) + term(w3, ar, k3, KV))) +
        ((term(w4, ar, k4, KV) + term(w5, ar, k5, KV)) + (term(w6, ar, k6, KV) + term(w7, ar, k7, KV))));
    }
  }
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
