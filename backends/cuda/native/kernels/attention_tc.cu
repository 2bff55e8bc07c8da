/*
 * attention_tc.cu — FlashAttention-2 style GQA attention on tensor cores: f16/bf16 storage, head dim 64 or 128
 * (Dh = Dv), f32 accumulation and softmax. attention.cu dispatches here (attnTcEligible); other calls keep the
 * CUDA-core kernels there. Semantics are the contract's (attention_common.cuh: causal alignment j ≤ i + S − T,
 * document ids, a query with no visible key outputs zeros and gets no gradient).
 *
 * Matrix products are mma.sync.m16n8k16 (f32 += 16-bit × 16-bit) on fragments read from shared memory with
 * ldmatrix (".trans" where the tile is stored k-major). Tiles are 64 rows × D, padded by 8 elements per row so
 * the eight rows of an ldmatrix hit distinct banks; global → shared copies are cp.async (16 bytes, zero-filled
 * past the end of the sequence). Scores live in the log2 domain: s₂ = scale·log2(e)·q·k, p = 2^{s₂ − m₂}.
 *
 * Forward (kernel attnFwdTc): block = 4 warps = 64 query rows of one (b, query head); each warp owns 16 rows.
 * Per KV tile of 64 keys (K and V double-buffered, the next tile's copy overlaps this tile's maths):
 *   S = Q Kᵀ (f32) → mask → m' = max(m, rowmax S); p = 2^{S−m'}; l = l·2^{m−m'} + Σp; O = O·2^{m−m'} + P V
 * with P rounded to the storage type for the second product (the accumulator layout of S is the operand layout
 * of P, so P never leaves registers). Causal blocks stop at the diagonal; with document ids a tile whose id
 * range misses the block's id range is skipped whole (exact for any ids; packed documents skip everything off
 * the block diagonal). out = O / l. For backward the same kernel (kGradPrep) instead stores, per query row,
 * lse₂ = m + log2(l) (+∞ when no key is visible) and Δ = dy·out (f32 out, before rounding).
 *
 * Backward (kernel attnBwdTc): block = 64 keys of one (b, query head); warp w owns keys 16w..16w+15. Over the
 * query tiles that can see them (Q, dO, lse₂, Δ double-buffered):
 *   Sᵀ = K Qᵀ;  Pᵀ = 2^{Sᵀ − lse₂};  dPᵀ = V dOᵀ;  dSᵀ = Pᵀ∘(dPᵀ − Δ)
 *   dV += Pᵀ dO;  dK += dSᵀ Q      (registers, f32)
 *   dQ += dS K                     (dSᵀ through shared memory; f32 atomics into a scratch dQ)
 * dK, dV of each query head go to f32 scratch [B, S, Hq, D]; a last kernel sums the heads of each GQA group
 * (dk·scale, dv) and rounds dq·scale, dk, dv once to the storage type.
 */
#include <cmath>

#include "attention_common.cuh"
#include "attention_tc.cuh"
#include "common.cuh"
#include "mma_fragments.cuh"

namespace fh {

namespace {

using namespace tc;  // NOLINT: the shared mma/ldmatrix building blocks

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kTileRows = 64;  // query rows per forward block, keys per backward block, rows per staged tile
constexpr int kPad = 8;        // elements of padding per shared-memory row
constexpr float kLog2e = 1.4426950408889634f;

// ---------------------------------------------------------------------------------------------- tiles
/** Shared-memory pitch (elements) of a tile row of D values. */
template <int D>
__host__ __device__ constexpr int pitchOf() {
  return D + kPad;
}

/** Rows [r0, r0+64) of head hh of a [B, L, H, D] tensor into dst[64][D+kPad] (zeros past L); async. */
template <typename T, int D>
__device__ __forceinline__ void loadTile(T* dst, const T* __restrict__ src, int64_t b, int64_t r0, int64_t L,
                                         int64_t H, int64_t hh) {
  constexpr int kChunks = D / 8;  // 16-byte pieces per row
  for (int idx = threadIdx.x; idx < kTileRows * kChunks; idx += kThreads) {
    const int rr = idx / kChunks, cc = idx - rr * kChunks;
    const int64_t r = r0 + rr;
    const bool valid = r < L;
    const T* from = valid ? src + ((b * L + r) * H + hh) * D + cc * 8 : src;
    cpAsync16(dst + rr * pitchOf<D>() + cc * 8, from, valid);
  }
}

/** Min and max of ids[r0 .. min(r0+64, L)) (every warp computes it; the same answer in every thread). */
__device__ __forceinline__ void idRange(const int32_t* __restrict__ ids, int64_t r0, int64_t L, int& lo, int& hi) {
  const int lane = threadIdx.x & 31;
  lo = INT32_MAX;
  hi = INT32_MIN;
#pragma unroll
  for (int x = 0; x < 2; ++x) {
    const int64_t r = r0 + lane + 32 * x;
    if (r < L) {
      const int id = ids[r];
      lo = min(lo, id);
      hi = max(hi, id);
    }
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    lo = min(lo, __shfl_xor_sync(0xffffffffu, lo, o));
    hi = max(hi, __shfl_xor_sync(0xffffffffu, hi, o));
  }
}

// ---------------------------------------------------------------------------------------------- forward
template <int D>
constexpr size_t fwdSharedBytes() {
  return size_t(5) * kTileRows * pitchOf<D>() * 2;  // Q, K[2], V[2] (16-bit)
}

/**
 * The tiles a block must visit, in order: nextMeetingTile(t) is the first tile t' ≥ t (of 64 rows of a sequence of
 * L rows with ids) whose id range can meet the block's own [lo, hi] — every tile when there are no ids — or tEnd.
 * Forward: key tiles against the block's query ids; backward: query tiles against the block's key ids.
 */
__device__ __forceinline__ int64_t nextMeetingTile(int64_t t, int64_t tEnd, const int32_t* ids, int64_t L, bool docs,
                                                   int lo, int hi) {
  if (!docs) return t;
  for (; t < tEnd; ++t) {
    int tLo, tHi;
    idRange(ids, t * kTileRows, L, tLo, tHi);
    if (tLo <= hi && tHi >= lo) return t;
  }
  return tEnd;
}

template <typename T, int D, bool kGradPrep>
__global__ void __launch_bounds__(kThreads)
    attnFwdTc(T* __restrict__ out, float* __restrict__ lseOut, float* __restrict__ deltaOut,
              const T* __restrict__ dy, const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
              const int32_t* __restrict__ qSeq, const int32_t* __restrict__ kSeq, AttnArgs a) {
  constexpr int P = pitchOf<D>();
  constexpr int kDT = D / 8;    // n8 tiles across the head dim
  constexpr int kDK = D / 16;   // k16 steps across the head dim
  constexpr int kNT = kTileRows / 8;  // n8 tiles across a key tile
  extern __shared__ __align__(16) unsigned char smRaw[];
  T* qs = reinterpret_cast<T*>(smRaw);
  T* ks = qs + kTileRows * P;      // [2][64][P]
  T* vs = ks + 2 * kTileRows * P;  // [2][64][P]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t4 = lane & 3;
  const int64_t qTiles = (a.T + kTileRows - 1) / kTileRows;
  const int64_t q0 = (qTiles - 1 - blockIdx.x) * kTileRows;  // the longest (causal) blocks start first
  const int64_t b = blockIdx.z, h = blockIdx.y, hk = h / (a.Hq / a.Hkv);
  const int64_t off = a.S - a.T;
  const bool docs = qSeq != nullptr;
  const int32_t* qIds = docs ? qSeq + b * a.T : nullptr;
  const int32_t* kIds = docs ? kSeq + b * a.S : nullptr;
  // Keys [0, jEnd) can be visible to some row of this block.
  int64_t jEnd = a.S;
  if (a.causal) {
    const int64_t lastRow = q0 + kTileRows - 1 < a.T - 1 ? q0 + kTileRows - 1 : a.T - 1;
    jEnd = lastRow + off + 1 < a.S ? lastRow + off + 1 : a.S;
  }
  const int64_t tEnd = jEnd > 0 ? (jEnd + kTileRows - 1) / kTileRows : 0;
  int qLo = 0, qHi = 0;
  if (docs) idRange(qIds, q0, a.T, qLo, qHi);
  // This thread's two rows (g and g+8 of the warp's 16).
  const int64_t row0 = q0 + warp * 16 + g, row1 = row0 + 8;
  const int id0 = docs && row0 < a.T ? qIds[row0] : 0, id1 = docs && row1 < a.T ? qIds[row1] : 0;
  const float sl = a.scale * kLog2e;

  int64_t tile = nextMeetingTile(0, tEnd, kIds, a.S, docs, qLo, qHi);
  loadTile<T, D>(qs, q, b, q0, a.T, a.Hq, h);
  if (tile < tEnd) loadTile<T, D>(ks, k, b, tile * kTileRows, a.S, a.Hkv, hk);
  cpAsyncCommit();
  if (tile < tEnd) loadTile<T, D>(vs, v, b, tile * kTileRows, a.S, a.Hkv, hk);
  cpAsyncCommit();

  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;
  float acc[kDT][4];
#pragma unroll
  for (int x = 0; x < kDT; ++x) acc[x][0] = acc[x][1] = acc[x][2] = acc[x][3] = 0.f;
  uint32_t qf[kDK][4];
  int buf = 0;
  bool first = true;
  while (tile < tEnd) {
    cpAsyncWait<1>();  // Q and this tile's K are in
    __syncthreads();
    if (first) {
#pragma unroll
      for (int kk = 0; kk < kDK; ++kk) loadA<P>(qf[kk], qs, warp * 16, kk * 16);
      first = false;
    }
    const T* kt = ks + buf * kTileRows * P;
    const T* vt = vs + buf * kTileRows * P;
    const int64_t j0 = tile * kTileRows;
    const int64_t next = nextMeetingTile(tile + 1, tEnd, kIds, a.S, docs, qLo, qHi);
    if (next < tEnd) loadTile<T, D>(ks + (buf ^ 1) * kTileRows * P, k, b, next * kTileRows, a.S, a.Hkv, hk);
    cpAsyncCommit();

    // S = Q Kᵀ for this warp's 16 rows × 64 keys.
    float s[kNT][4];
    scoreTile<P>(s, qf, kt);
    // Scale into the log2 domain; mask where the tile crosses the diagonal, the end of S, or has document ids.
    const bool needMask = docs || j0 + kTileRows > a.S || (a.causal && j0 + kTileRows - 1 > q0 + off);
#pragma unroll
    for (int x = 0; x < kNT; ++x) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float val = s[x][e] * sl;
        if (needMask) {
          const int64_t i = e < 2 ? row0 : row1;
          const int64_t j = j0 + x * 8 + 2 * t4 + (e & 1);
          bool vis = j < a.S && (!a.causal || j <= i + off);
          if (docs) vis = vis && i < a.T && (e < 2 ? id0 : id1) == kIds[j < a.S ? j : 0];
          if (!vis) val = -INFINITY;
        }
        s[x][e] = val;
      }
    }
    // Online softmax (rows g and g+8; a row's four owners are one lane quad).
    onlineSoftmaxTile(s, m0, m1, l0, l1, acc);

    if (next < tEnd) cpAsyncWait<1>();  // this tile's V (the next K may still be in flight)
    else cpAsyncWait<0>();
    __syncthreads();
    // O += P V.
    accumulatePV<P>(acc, s, vt);
    if (next < tEnd) loadTile<T, D>(vs + (buf ^ 1) * kTileRows * P, v, b, next * kTileRows, a.S, a.Hkv, hk);
    cpAsyncCommit();
    buf ^= 1;
    tile = next;
  }
  cpAsyncWait<0>();

  l0 = quadSum(l0);
  l1 = quadSum(l1);
  const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
  if constexpr (kGradPrep) {
    // Δ = dy·out per row (f32 out), lse₂ per row.
    float d0 = 0.f, d1 = 0.f;
#pragma unroll
    for (int x = 0; x < kDT; ++x) {
      const int col = x * 8 + 2 * t4;
      if (row0 < a.T) {
        const T* dr = dy + ((b * a.T + row0) * a.Hq + h) * D + col;
        d0 += toF<T>(dr[0]) * acc[x][0] * inv0 + toF<T>(dr[1]) * acc[x][1] * inv0;
      }
      if (row1 < a.T) {
        const T* dr = dy + ((b * a.T + row1) * a.Hq + h) * D + col;
        d1 += toF<T>(dr[0]) * acc[x][2] * inv1 + toF<T>(dr[1]) * acc[x][3] * inv1;
      }
    }
    d0 = quadSum(d0);
    d1 = quadSum(d1);
    if (t4 == 0) {
      if (row0 < a.T) {
        lseOut[(b * a.Hq + h) * a.T + row0] = l0 > 0.f ? m0 + log2f(l0) : INFINITY;
        deltaOut[(b * a.Hq + h) * a.T + row0] = d0;
      }
      if (row1 < a.T) {
        lseOut[(b * a.Hq + h) * a.T + row1] = l1 > 0.f ? m1 + log2f(l1) : INFINITY;
        deltaOut[(b * a.Hq + h) * a.T + row1] = d1;
      }
    }
  } else {
#pragma unroll
    for (int x = 0; x < kDT; ++x) {
      const int col = x * 8 + 2 * t4;
      if (row0 < a.T)
        *reinterpret_cast<uint32_t*>(out + ((b * a.T + row0) * a.Hq + h) * D + col) =
            pack2<T>(acc[x][0] * inv0, acc[x][1] * inv0);
      if (row1 < a.T)
        *reinterpret_cast<uint32_t*>(out + ((b * a.T + row1) * a.Hq + h) * D + col) =
            pack2<T>(acc[x][2] * inv1, acc[x][3] * inv1);
    }
  }
}

// ---------------------------------------------------------------------------------------------- backward
constexpr int kDsPitch = kTileRows + kPad;  // dSᵀ tile [64 keys][64 queries + pad]

template <int D>
constexpr size_t bwdSharedBytes() {
  // K, V, Q[2], dO[2] (16-bit), dSᵀ (16-bit), lse₂[2] and Δ[2] (f32).
  return size_t(6) * kTileRows * pitchOf<D>() * 2 + size_t(kTileRows) * kDsPitch * 2 + size_t(4) * kTileRows * 4;
}

/** lse₂ and Δ of query rows [q0, q0+64) of (b, h) into shared memory (+∞ and 0 past T: such rows give p = 0). */
__device__ __forceinline__ void loadRowStats(float* lseS, float* deltaS, const float* __restrict__ lse,
                                             const float* __restrict__ delta, int64_t bh, int64_t q0, int64_t T) {
  for (int r = threadIdx.x; r < kTileRows; r += kThreads) {
    const int64_t i = q0 + r;
    lseS[r] = i < T ? lse[bh * T + i] : INFINITY;
    deltaS[r] = i < T ? delta[bh * T + i] : 0.f;
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    attnBwdTc(float* __restrict__ dqAcc, float* __restrict__ dkPart, float* __restrict__ dvPart,
              const float* __restrict__ lse, const float* __restrict__ delta, const T* __restrict__ dy,
              const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
              const int32_t* __restrict__ qSeq, const int32_t* __restrict__ kSeq, AttnArgs a) {
  constexpr int P = pitchOf<D>();
  constexpr int kDT = D / 8;
  constexpr int kDK = D / 16;
  constexpr int kNT = kTileRows / 8;  // n8 tiles across a query tile
  extern __shared__ __align__(16) unsigned char smRaw[];
  T* ks = reinterpret_cast<T*>(smRaw);
  T* vs = ks + kTileRows * P;
  T* qsB = vs + kTileRows * P;          // [2][64][P]
  T* dosB = qsB + 2 * kTileRows * P;    // [2][64][P]
  T* dss = dosB + 2 * kTileRows * P;    // [64 keys][kDsPitch]
  float* lseB = reinterpret_cast<float*>(dss + kTileRows * kDsPitch);  // [2][64]
  float* deltaB = lseB + 2 * kTileRows;                                 // [2][64]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t4 = lane & 3;
  const int64_t kv0 = int64_t(blockIdx.x) * kTileRows;
  const int64_t b = blockIdx.z, h = blockIdx.y, hk = h / (a.Hq / a.Hkv), bh = b * a.Hq + h;
  const int64_t off = a.S - a.T;
  const bool docs = qSeq != nullptr;
  const int32_t* qIds = docs ? qSeq + b * a.T : nullptr;
  const int32_t* kIds = docs ? kSeq + b * a.S : nullptr;
  const int64_t qTiles = (a.T + kTileRows - 1) / kTileRows;
  // Causal: query i sees key kv0 only if i ≥ kv0 − (S − T).
  int64_t iBegin = a.causal ? kv0 - off : 0;
  if (iBegin < 0) iBegin = 0;
  int kLo = 0, kHi = 0;
  if (docs) idRange(kIds, kv0, a.S, kLo, kHi);
  const int64_t key0 = kv0 + warp * 16 + g, key1 = key0 + 8;
  const int kid0 = docs && key0 < a.S ? kIds[key0] : 0, kid1 = docs && key1 < a.S ? kIds[key1] : 0;
  const float sl = a.scale * kLog2e;

  int64_t tile = iBegin < a.T ? nextMeetingTile(iBegin / kTileRows, qTiles, qIds, a.T, docs, kLo, kHi) : qTiles;
  loadTile<T, D>(ks, k, b, kv0, a.S, a.Hkv, hk);
  loadTile<T, D>(vs, v, b, kv0, a.S, a.Hkv, hk);
  if (tile < qTiles) {
    loadTile<T, D>(qsB, q, b, tile * kTileRows, a.T, a.Hq, h);
    loadTile<T, D>(dosB, dy, b, tile * kTileRows, a.T, a.Hq, h);
    loadRowStats(lseB, deltaB, lse, delta, bh, tile * kTileRows, a.T);
  }
  cpAsyncCommit();

  float dkAcc[kDT][4], dvAcc[kDT][4];
#pragma unroll
  for (int x = 0; x < kDT; ++x)
#pragma unroll
    for (int e = 0; e < 4; ++e) dkAcc[x][e] = dvAcc[x][e] = 0.f;
  int buf = 0;
  while (tile < qTiles) {
    cpAsyncWait<0>();
    __syncthreads();
    const int64_t q0 = tile * kTileRows;
    const T* qs = qsB + buf * kTileRows * P;
    const T* dos = dosB + buf * kTileRows * P;
    const float* lseS = lseB + buf * kTileRows;
    const float* deltaS = deltaB + buf * kTileRows;
    const int64_t next = nextMeetingTile(tile + 1, qTiles, qIds, a.T, docs, kLo, kHi);
    if (next < qTiles) {
      loadTile<T, D>(qsB + (buf ^ 1) * kTileRows * P, q, b, next * kTileRows, a.T, a.Hq, h);
      loadTile<T, D>(dosB + (buf ^ 1) * kTileRows * P, dy, b, next * kTileRows, a.T, a.Hq, h);
      loadRowStats(lseB + (buf ^ 1) * kTileRows, deltaB + (buf ^ 1) * kTileRows, lse, delta, bh, next * kTileRows,
                   a.T);
    }
    cpAsyncCommit();

    // Sᵀ = K Qᵀ and dPᵀ = V dOᵀ for this warp's 16 keys × 64 queries.
    float st[kNT][4], dpt[kNT][4];
#pragma unroll
    for (int x = 0; x < kNT; ++x)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[x][e] = dpt[x][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kDK; ++kk) {
      uint32_t ka[4], va[4];
      loadA<P>(ka, ks, warp * 16, kk * 16);
      loadA<P>(va, vs, warp * 16, kk * 16);
#pragma unroll
      for (int np = 0; np < kNT / 2; ++np) {
        mmaNK<P>(st[2 * np], st[2 * np + 1], ka, qs, np * 16, kk * 16);
        mmaNK<P>(dpt[2 * np], dpt[2 * np + 1], va, dos, np * 16, kk * 16);
      }
    }
    // Pᵀ = 2^{Sᵀ − lse₂} (masked), dSᵀ = Pᵀ∘(dPᵀ − Δ).
    const bool needMask = docs || kv0 + kTileRows > a.S || (a.causal && kv0 + kTileRows - 1 > q0 + off);
#pragma unroll
    for (int x = 0; x < kNT; ++x) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int col = x * 8 + 2 * t4 + (e & 1);
        float p = exp2f(st[x][e] * sl - lseS[col]);
        if (needMask) {
          const int64_t j = e < 2 ? key0 : key1, i = q0 + col;
          bool vis = j < a.S && (!a.causal || j <= i + off);
          if (docs) vis = vis && i < a.T && (e < 2 ? kid0 : kid1) == qIds[i < a.T ? i : 0];
          if (!vis) p = 0.f;
        }
        st[x][e] = p;
        dpt[x][e] = p * (dpt[x][e] - deltaS[col]);
      }
    }
    // dV += Pᵀ dO ;  dK += dSᵀ Q.
#pragma unroll
    for (int kk = 0; kk < kNT / 2; ++kk) {
      uint32_t pa[4], da[4];
      accToA<T>(pa, st[2 * kk], st[2 * kk + 1]);
      accToA<T>(da, dpt[2 * kk], dpt[2 * kk + 1]);
#pragma unroll
      for (int dp = 0; dp < kDT / 2; ++dp) {
        mmaKN<P>(dvAcc[2 * dp], dvAcc[2 * dp + 1], pa, dos, kk * 16, dp * 16);
        mmaKN<P>(dkAcc[2 * dp], dkAcc[2 * dp + 1], da, qs, kk * 16, dp * 16);
      }
    }
    // dSᵀ → shared, then dQ (this warp's 16 queries × D) = dS K, added into the f32 scratch.
#pragma unroll
    for (int x = 0; x < kNT; ++x) {
      const int col = x * 8 + 2 * t4;
      *reinterpret_cast<uint32_t*>(dss + (warp * 16 + g) * kDsPitch + col) = pack2<T>(dpt[x][0], dpt[x][1]);
      *reinterpret_cast<uint32_t*>(dss + (warp * 16 + g + 8) * kDsPitch + col) = pack2<T>(dpt[x][2], dpt[x][3]);
    }
    __syncthreads();
    uint32_t dsa[kTileRows / 16][4];
#pragma unroll
    for (int kk = 0; kk < kTileRows / 16; ++kk) loadAT<kDsPitch>(dsa[kk], dss, warp * 16, kk * 16);
    const int64_t i0 = q0 + warp * 16 + g, i1 = i0 + 8;
#pragma unroll
    for (int dp = 0; dp < kDT / 2; ++dp) {
      float c[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
#pragma unroll
      for (int kk = 0; kk < kTileRows / 16; ++kk) {
        mmaKN<P>(c[0], c[1], dsa[kk], ks, kk * 16, dp * 16);
      }
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int col = dp * 16 + half * 8 + 2 * t4;
        if (i0 < a.T) {
          float* d = dqAcc + ((b * a.T + i0) * a.Hq + h) * D + col;
          atomicAdd(d, c[half][0]);
          atomicAdd(d + 1, c[half][1]);
        }
        if (i1 < a.T) {
          float* d = dqAcc + ((b * a.T + i1) * a.Hq + h) * D + col;
          atomicAdd(d, c[half][2]);
          atomicAdd(d + 1, c[half][3]);
        }
      }
    }
    buf ^= 1;
    tile = next;
  }
  cpAsyncWait<0>();
  // This head's share of dK (unscaled) and dV for the warp's keys.
#pragma unroll
  for (int x = 0; x < kDT; ++x) {
    const int col = x * 8 + 2 * t4;
    if (key0 < a.S) {
      const int64_t o = ((b * a.S + key0) * a.Hq + h) * D + col;
      *reinterpret_cast<float2*>(dkPart + o) = make_float2(dkAcc[x][0], dkAcc[x][1]);
      *reinterpret_cast<float2*>(dvPart + o) = make_float2(dvAcc[x][0], dvAcc[x][1]);
    }
    if (key1 < a.S) {
      const int64_t o = ((b * a.S + key1) * a.Hq + h) * D + col;
      *reinterpret_cast<float2*>(dkPart + o) = make_float2(dkAcc[x][2], dkAcc[x][3]);
      *reinterpret_cast<float2*>(dvPart + o) = make_float2(dvAcc[x][2], dvAcc[x][3]);
    }
  }
}

/** dq = scale·dqAcc rounded to T. */
template <typename T>
__global__ void attnDqRoundKernel(T* __restrict__ dq, const float* __restrict__ dqAcc, int64_t n, float scale) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dq[i] = fromF<T>(scale * dqAcc[i]);
}

/** dk = scale·Σ_heads dkPart, dv = Σ_heads dvPart over the Hq/Hkv query heads of each KV head; rounded to T. */
template <typename T>
__global__ void attnDkvReduceKernel(T* __restrict__ dk, T* __restrict__ dv, const float* __restrict__ dkPart,
                                    const float* __restrict__ dvPart, AttnArgs a, int64_t D) {
  const int64_t rep = a.Hq / a.Hkv, n = a.B * a.S * a.Hkv * D;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t d = i % D, rest = i / D, g = rest % a.Hkv, bj = rest / a.Hkv;  // bj = b·S + j
    const int64_t base = (bj * a.Hq + g * rep) * D + d;
    float sk = 0.f, sv = 0.f;
    for (int64_t hh = 0; hh < rep; ++hh) {
      sk += dkPart[base + hh * D];
      sv += dvPart[base + hh * D];
    }
    dk[i] = fromF<T>(a.scale * sk);
    dv[i] = fromF<T>(sv);
  }
}

template <typename T, int D>
void forwardTc(Ctx& ctx, T* out, float* lse, float* delta, const T* dy, const T* q, const T* k, const T* v,
               const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a, bool gradPrep) {
  const dim3 grid(static_cast<unsigned>((a.T + kTileRows - 1) / kTileRows), static_cast<unsigned>(a.Hq),
                  static_cast<unsigned>(a.B));
  constexpr size_t shared = fwdSharedBytes<D>();
  if (gradPrep) {
    attn::prepareShared(attnFwdTc<T, D, true>, shared, ctx);
    attnFwdTc<T, D, true><<<grid, kThreads, shared, ctx.stream>>>(out, lse, delta, dy, q, k, v, qSeq, kSeq, a);
  } else {
    attn::prepareShared(attnFwdTc<T, D, false>, shared, ctx);
    attnFwdTc<T, D, false><<<grid, kThreads, shared, ctx.stream>>>(out, lse, delta, dy, q, k, v, qSeq, kSeq, a);
  }
  checkLaunch(gradPrep ? "AttentionGrad (tensor cores, lse)" : "Attention (tensor cores)");
}

template <typename T, int D>
void backwardTc(Ctx& ctx, T* dq, T* dk, T* dv, const T* dy, const T* q, const T* k, const T* v, const int32_t* qSeq,
                const int32_t* kSeq, const AttnArgs& a) {
  const int64_t rows = a.B * a.Hq * a.T;
  Scratch lse(*ctx.alloc, rows * sizeof(float));
  Scratch delta(*ctx.alloc, rows * sizeof(float));
  Scratch dqAcc(*ctx.alloc, rows * D * sizeof(float));
  Scratch dkPart(*ctx.alloc, a.B * a.S * a.Hq * D * sizeof(float));
  Scratch dvPart(*ctx.alloc, a.B * a.S * a.Hq * D * sizeof(float));
  forwardTc<T, D>(ctx, nullptr, lse.as<float>(), delta.as<float>(), dy, q, k, v, qSeq, kSeq, a, true);
  FH_CHECK(cudaMemsetAsync(dqAcc.as<float>(), 0, rows * D * sizeof(float), ctx.stream));
  const dim3 grid(static_cast<unsigned>((a.S + kTileRows - 1) / kTileRows), static_cast<unsigned>(a.Hq),
                  static_cast<unsigned>(a.B));
  constexpr size_t shared = bwdSharedBytes<D>();
  attn::prepareShared(attnBwdTc<T, D>, shared, ctx);
  attnBwdTc<T, D><<<grid, kThreads, shared, ctx.stream>>>(dqAcc.as<float>(), dkPart.as<float>(), dvPart.as<float>(),
                                                          lse.as<float>(), delta.as<float>(), dy, q, k, v, qSeq, kSeq,
                                                          a);
  checkLaunch("AttentionGrad (tensor cores)");
  attnDqRoundKernel<T><<<gridFor(rows * D, 256, ctx), 256, 0, ctx.stream>>>(dq, dqAcc.as<float>(), rows * D, a.scale);
  checkLaunch("AttentionGrad (dq)");
  const int64_t nkv = a.B * a.S * a.Hkv * D;
  attnDkvReduceKernel<T><<<gridFor(nkv, 256, ctx), 256, 0, ctx.stream>>>(dk, dv, dkPart.as<float>(),
                                                                         dvPart.as<float>(), a, D);
  checkLaunch("AttentionGrad (dk, dv)");
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool attnTcEligible(const Ctx& ctx, int dtype, const AttnArgs& a) {
  if (dtype != F16 && dtype != BF16) return false;
  if (a.Dh != a.Dv || (a.Dh != 64 && a.Dh != 128)) return false;
  if (a.T < 1 || a.S < 1 || a.Hkv < 1 || a.Hq % a.Hkv != 0) return false;
  if (a.B > 65535 || a.Hq > 65535) return false;
  const size_t need = a.Dh == 64 ? bwdSharedBytes<64>() : bwdSharedBytes<128>();  // ≥ the forward's
  return need <= ctx.maxSharedPerBlockOptin;
}

bool attnTcAligned(std::initializer_list<const void*> ptrs) {
  for (const void* p : ptrs)
    if (!aligned16(p)) return false;
  return true;
}

/** BODY with `constexpr int D` = DH (64 or 128). */
#define FH_TC_HEAD_DIM(DH, ...) \
  if ((DH) == 64) {             \
    constexpr int D = 64;       \
    __VA_ARGS__;                \
  } else {                      \
    constexpr int D = 128;      \
    __VA_ARGS__;                \
  }

/** BODY with `using T` = the 16-bit storage type of DTYPE (bf16 or f16) and `constexpr int D` = DH. */
#define FH_TC_DISPATCH(DTYPE, DH, ...)   \
  do {                                   \
    if ((DTYPE) == BF16) {               \
      using T = __nv_bfloat16;           \
      FH_TC_HEAD_DIM(DH, __VA_ARGS__)    \
    } else {                             \
      using T = __half;                  \
      FH_TC_HEAD_DIM(DH, __VA_ARGS__)    \
    }                                    \
  } while (0)

void launchAttentionTc(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v,
                       const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a) {
  FH_TC_DISPATCH(dtype, a.Dh, {
    forwardTc<T, D>(ctx, static_cast<T*>(out), nullptr, nullptr, nullptr, static_cast<const T*>(q),
                    static_cast<const T*>(k), static_cast<const T*>(v), qSeq, kSeq, a, false);
  });
}

void launchAttentionGradTc(Ctx& ctx, int dtype, void* dq, void* dk, void* dv, const void* dy, const void* q,
                           const void* k, const void* v, const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a) {
  FH_TC_DISPATCH(dtype, a.Dh, {
    backwardTc<T, D>(ctx, static_cast<T*>(dq), static_cast<T*>(dk), static_cast<T*>(dv), static_cast<const T*>(dy),
                     static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), qSeq, kSeq, a);
  });
}

}  // namespace fh
