/*
 * attention_common.cuh — what the attention kernel files share: the visibility rule of the contract, staging rows
 * of a [B, L, H, D] tensor in shared memory as f32, the per-lane register count for a head dim, and the shared
 * memory opt-in. Used by attention.cu (CUDA-core kernels), attention_decode.cu (split-K decode) and
 * attention_tc.cu (tensor-core kernels, for the visibility rule only).
 */
#pragma once

#include <string>

#include "attention.cuh"
#include "common.cuh"

namespace fh {
namespace attn {

/** Key j is visible to query i iff (not causal or j ≤ i + S − T) and (no ids or qSeq[b,i] = kSeq[b,j]). */
__device__ __forceinline__ bool visible(const AttnArgs& a, const int32_t* qSeq, const int32_t* kSeq, int64_t b,
                                        int64_t i, int64_t j) {
  if (i >= a.T || j >= a.S) return false;
  if (a.causal && j > i + (a.S - a.T)) return false;
  return qSeq == nullptr || qSeq[b * a.T + i] == kSeq[b * a.S + j];
}

/**
 * Loads rows [r0, r0+count) of a [B, L, H, D] tensor (head hh) into smem rows of `pitch` floats (zeros past L).
 * Each thread issues kLoadsInFlight independent loads before it converts and stores any of them: GPUs issue in
 * order, so a plain load → store loop keeps one load per warp in flight and a 32-key tile costs ~16 memory
 * round trips instead of one or two.
 */
constexpr int kLoadsInFlight = 8;
template <typename T>
__device__ __forceinline__ void loadRows(float* dst, int pitch, const T* src, int64_t b, int64_t r0, int count,
                                         int64_t L, int64_t H, int64_t hh, int64_t D) {
  // 32-bit index arithmetic: a tile holds at most 32 × 256 values, and 64-bit division is slow on the GPU.
  const int d = static_cast<int>(D), n = count * d, stride = static_cast<int>(blockDim.x);
  for (int base = threadIdx.x; base < n; base += stride * kLoadsInFlight) {
    T held[kLoadsInFlight];
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int idx = base + u * stride;
      const int rr = idx / d, dd = idx - rr * d;
      const int64_t r = r0 + rr;
      if (idx < n && r < L) held[u] = src[((b * L + r) * H + hh) * D + dd];
    }
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int idx = base + u * stride;
      if (idx >= n) break;
      const int rr = idx / d, dd = idx - rr * d;
      dst[rr * pitch + dd] = r0 + rr < L ? toF<T>(held[u]) : 0.f;
    }
  }
}

/** Empty online-softmax accumulators of a warp's ROWS query rows: m = −∞, l = 0, o = 0. */
template <int ROWS, int MPL>
__device__ __forceinline__ void startRows(float (&m)[ROWS], float (&l)[ROWS], float (&o)[ROWS][MPL]) {
#pragma unroll
  for (int rr = 0; rr < ROWS; ++rr) {
    m[rr] = -INFINITY;
    l[rr] = 0.f;
#pragma unroll
    for (int x = 0; x < MPL; ++x) o[rr][x] = 0.f;
  }
}

/** Keys per tile of the CUDA-core kernels: one per lane. */
constexpr int kKeysPerTile = 32;

/**
 * One key tile of a warp's online softmax (CUDA-core kernels): lane j holds key j's score sc (−∞ where the key is
 * not visible); the warp updates its running max m, running sum l and output row o (lane owns dims lane, lane+32,
 * ...) from the tile's value rows vs [kKeysPerTile][pitch]:
 *   m' = max(m, max_j s_j);  l = l·e^{m−m'} + Σ_j e^{s_j−m'};  o = o·e^{m−m'} + Σ_j e^{s_j−m'}·v_j
 * Every lane of the warp must call it (shuffles).
 */
template <int MPL>
__device__ __forceinline__ void onlineTile(float& m, float& l, float (&o)[MPL], float sc, const float* vs, int pitch,
                                           int64_t Dv) {
  const int lane = threadIdx.x & 31;
  const float tmax = warpMax(sc);
  if (tmax == -INFINITY) return;  // nothing visible in this tile
  const float mNew = fmaxf(m, tmax);
  const float corr = m == -INFINITY ? 0.f : expf(m - mNew);
  const float p = sc == -INFINITY ? 0.f : expf(sc - mNew);
  l = l * corr + warpSum(p);
#pragma unroll
  for (int r = 0; r < MPL; ++r) o[r] *= corr;
  for (int jj = 0; jj < kKeysPerTile; ++jj) {
    const float pj = __shfl_sync(0xffffffffu, p, jj);
    if (pj == 0.f) continue;
    const float* vr = vs + jj * pitch;
#pragma unroll
    for (int r = 0; r < MPL; ++r) {
      const int64_t dd = lane + 32 * r;
      if (dd < Dv) o[r] += pj * vr[dd];
    }
  }
  m = mNew;
}

/** Registers per lane for a row of d values spread over a warp (lane owns dims lane, lane+32, ...). */
inline int perLane(int64_t d) {
  if (d <= 32) return 1;
  if (d <= 64) return 2;
  if (d <= 128) return 4;
  if (d <= 256) return 8;
  throw Error("Attention: head dims above 256 are not supported");
}

/** Opts the kernel in to `bytes` of dynamic shared memory (throws when the device has less). */
template <typename K>
void prepareShared(K kernel, size_t bytes, const Ctx& ctx) {
  if (bytes > ctx.maxSharedPerBlockOptin)
    throw Error("Attention: needs " + std::to_string(bytes) + " bytes of shared memory, the device allows " +
                std::to_string(ctx.maxSharedPerBlockOptin));
  if (bytes > 48 * 1024)
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
          "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
}

}  // namespace attn
}  // namespace fh

/** Runs BODY with `constexpr int MPL` = attn::perLane(D). */
#define FH_MPL_DISPATCH(D, ...)    \
  switch (::fh::attn::perLane(D)) { \
    case 1: {                      \
      constexpr int MPL = 1;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    case 2: {                      \
      constexpr int MPL = 2;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    case 4: {                      \
      constexpr int MPL = 4;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    default: {                     \
      constexpr int MPL = 8;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
  }
