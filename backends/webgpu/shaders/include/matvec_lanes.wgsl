// The lane loop of the decode matrix-vector product, shared by matvec.wgsl (lanes' sums in workgroup memory) and
// matvec_subgroups.wgsl (by subgroupAdd). Each warp-sized group of LANES invocations owns one output n for R rows of
// A: its lanes stride over K in elements of WV (vec4<TY> when K % 4 = 0, else TY), consecutive lanes on consecutive
// elements (one load instruction reads LANES·16 contiguous bytes of a row of B), U = 8 independent loads in flight
// per iteration (a K = 1024 row is one iteration). Indices past K are clamped to K − 1 (valid memory) and their
// products dropped by a select, so the loop has no separate tail. The R rows of A are re-read from cache for each
// element. The header defines R (u32 const), TY, WV and dotf(WV, WV) -> f32. P.KV is K in units of WV.
const LANES: u32 = 32u;
const WARPS: u32 = WG / LANES;
const U: u32 = 8u;

// w · A[row at arow, element kk], or 0 past the row's end (kk ≥ kv; the load is clamped into the row).
fn term(w: WV, arow: u32, kk: u32, kv: u32) -> f32 {
  return select(0.0, dotf(w, a[arow + min(kk, kv - 1u)]), kk < kv);
}

// The output n this invocation's group of LANES owns (workgroups over x and y, WARPS groups each).
fn outputOf(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + nwg.x * wid.y) * WARPS + lid / LANES;
}

// This lane's partial sums of output n for rows r0 … r0 + R − 1 of A (rows past P.rows re-read the last row).
fn lanePartials(lane: u32, n: u32, r0: u32) -> array<f32, R> {
  let KV = P.KV;
  let last = KV - 1u;
  // An output past N reads row N − 1 (valid memory; its sum is not stored), so no load needs a bounds test.
  let boff = min(n, P.N - 1u) * KV;
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
  return acc;
}
