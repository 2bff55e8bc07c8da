// Batched C = op(A)·op(B), tiled in workgroup memory. A workgroup of 256 invocations computes a BM×BN tile of C
// (BM = 16·TM, BN = 16·TN), each invocation a TM×TN block of rows ty + 16i and columns tx + 16j (so that the stores
// and the tile reads are consecutive across tx). The K loop stages BK-deep slices of A and B, converted to f32, in
// workgroup memory; loads follow each operand's contiguous axis. Batch dims broadcast: workgroup z decodes the
// output batch index over P.bshape and maps it to A and B through P.bsa/P.bsb (in whole matrices; 0 = broadcast).
// The header defines TM, TN, BK (u32 consts), TA, TB (bool consts: operand stored transposed) and TY.
const BM: u32 = 16u * TM;
const BN: u32 = 16u * TN;
var<workgroup> As: array<f32, BK * BM>;
var<workgroup> Bs: array<f32, BK * BN>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z + P.zoff;
  var rem = z;
  var oa = 0u;
  var ob = 0u;
  for (var d = i32(P.brank) - 1; d >= 0; d = d - 1) {
    let k = u32(d);
    let n = u8at(P.bshape, k);
    let c = rem % n;
    rem = rem / n;
    oa = oa + c * u8at(P.bsa, k);
    ob = ob + c * u8at(P.bsb, k);
  }
  let M = P.M;
  let N = P.N;
  let K = P.K;
  let a_base = oa * M * K;
  let b_base = ob * K * N;
  let c_base = z * M * N;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<f32, TM * TN>;
  for (var i = 0u; i < TM * TN; i = i + 1u) {
    acc[i] = 0.0;
  }
  for (var k0 = 0u; k0 < K; k0 = k0 + BK) {
    for (var e = lid; e < BK * BM; e = e + WG) {
      var m: u32;
      var k: u32;
      if (TA) {
        m = e % BM;
        k = e / BM;
      } else {
        k = e % BK;
        m = e / BK;
      }
      let gm = m0 + m;
      let gk = k0 + k;
      var v = 0.0;
      if (gm < M && gk < K) {
        if (TA) {
          v = f32(a[a_base + gk * M + gm]);
        } else {
          v = f32(a[a_base + gm * K + gk]);
        }
      }
      As[k * BM + m] = v;
    }
    for (var e = lid; e < BK * BN; e = e + WG) {
      var n: u32;
      var k: u32;
      if (TB) {
        k = e % BK;
        n = e / BK;
      } else {
        n = e % BN;
        k = e / BN;
      }
      let gn = n0 + n;
      let gk = k0 + k;
      var v = 0.0;
      if (gn < N && gk < K) {
        if (TB) {
          v = f32(b[b_base + gn * K + gk]);
        } else {
          v = f32(b[b_base + gk * N + gn]);
        }
      }
      Bs[k * BN + n] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk = kk + 1u) {
      var af: array<f32, TM>;
      var bf: array<f32, TN>;
      for (var i = 0u; i < TM; i = i + 1u) {
        af[i] = As[kk * BM + ty + 16u * i];
      }
      for (var j = 0u; j < TN; j = j + 1u) {
        bf[j] = Bs[kk * BN + tx + 16u * j];
      }
      for (var i = 0u; i < TM; i = i + 1u) {
        for (var j = 0u; j < TN; j = j + 1u) {
          acc[i * TN + j] = fma(af[i], bf[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i = i + 1u) {
    let gm = m0 + ty + 16u * i;
    if (gm >= M) {
      continue;
    }
    for (var j = 0u; j < TN; j = j + 1u) {
      let gn = n0 + tx + 16u * j;
      if (gn < N) {
        c[c_base + gm * N + gn] = TY(acc[i * TN + j]);
      }
    }
  }
}
