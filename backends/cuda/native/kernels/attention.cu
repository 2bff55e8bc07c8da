/*
 * attention.cu — GQA attention on CUDA cores, f32 arithmetic throughout, and the dispatch of the Attention /
 * AttentionGrad launchers: a few query rows against a KV (decode) → split-K decode (attention_decode.cu); f16/bf16
 * with head dim 64 or 128 → tensor cores (attention_tc.cu); anything else (f32, other head dims) → these kernels.
 *
 * Visibility: key j is visible to query i iff (not causal or j ≤ i + S − T) and (no ids or qSeq[b,i] = kSeq[b,j]);
 * a query with no visible key outputs zeros (and gets no gradient). Query head h reads KV head h / (Hq/Hkv).
 *
 * Forward: a block holds kRows query rows of one (b, h), one warp per row; key/value tiles of 32 rows are staged in
 * shared memory (rows padded by one float against bank conflicts). Lane j scores key j of the tile; the warp keeps
 * the running max m, the running sum l and the output row o (lane owns dims lane, lane+32, ...):
 *   m' = max(m, max_j s_j);  l = l·e^{m−m'} + Σ_j e^{s_j−m'};  o = o·e^{m−m'} + Σ_j e^{s_j−m'}·v_j;  out = o / l
 * Backward (the FlashAttention-2 identities, p_ij = e^{s_ij − lse_i}, D_i = dy_i·out_i):
 *   kernel 1, per query row: pass 1 recomputes lse and out (→ D_i), pass 2 accumulates
 *            dq_i = scale·Σ_j p_ij (dy_i·v_j − D_i) k_j
 *   kernel 2, per key row of a KV head, over the query heads of its group and the query tiles:
 *            dv_j = Σ_i p_ij dy_i ;  dk_j = scale·Σ_i p_ij (dy_i·v_j − D_i) q_i
 */
#include <cmath>
#include <cstdlib>
#include <string>

#include "attention.cuh"
#include "attention_common.cuh"
#include "attention_tc.cuh"
#include "common.cuh"

namespace fh {

namespace {

constexpr int kRows = 8;  // warps per block: query rows (forward, dq) or key rows (dk, dv)
constexpr int kBc = attn::kKeysPerTile;  // rows per shared-memory tile

using attn::loadRows;
using attn::prepareShared;
using attn::visible;

/**
 * One pass of the online softmax over all key tiles for the warp's query row: m, l, and (when withOut) o.
 * Shared memory: ks [kBc][Dh+1], vs [kBc][Dv+1]; qrow is the warp's query row in shared memory.
 */
template <typename T, int MPL>
__device__ void onlinePass(float& m, float& l, float (&o)[MPL], const float* qrow, float* ks, float* vs,
                           const T* __restrict__ k, const T* __restrict__ v, const int32_t* qSeq, const int32_t* kSeq,
                           const AttnArgs& a, int64_t b, int64_t g, int64_t i, bool valid, int64_t blockLast) {
  const int lane = threadIdx.x & 31;
  m = -INFINITY;
  l = 0.f;
#pragma unroll
  for (int r = 0; r < MPL; ++r) o[r] = 0.f;
  for (int64_t j0 = 0; j0 <= blockLast; j0 += kBc) {
    loadRows<T>(ks, a.Dh + 1, k, b, j0, kBc, a.S, a.Hkv, g, a.Dh);
    loadRows<T>(vs, a.Dv + 1, v, b, j0, kBc, a.S, a.Hkv, g, a.Dv);
    __syncthreads();
    if (valid) {
      const int64_t j = j0 + lane;
      const bool vis = visible(a, qSeq, kSeq, b, i, j);
      float sc = -INFINITY;
      if (vis) {
        float dot = 0.f;
        const float* kr = ks + lane * (a.Dh + 1);
        for (int64_t dd = 0; dd < a.Dh; ++dd) dot += qrow[dd] * kr[dd];
        sc = a.scale * dot;
      }
      attn::onlineTile<MPL>(m, l, o, sc, vs, static_cast<int>(a.Dv + 1), a.Dv);
    }
    __syncthreads();
  }
}

/** The last key any query row of this block can see (−1: none). */
__device__ __forceinline__ int64_t lastKeyOfBlock(const AttnArgs& a) {
  if (!a.causal) return a.S - 1;
  int64_t lastRow = int64_t(blockIdx.x) * kRows + kRows - 1;
  if (lastRow > a.T - 1) lastRow = a.T - 1;
  const int64_t last = lastRow + (a.S - a.T);
  return last < a.S - 1 ? last : a.S - 1;
}

template <typename T, int MPL>
__global__ void attnForwardKernel(T* __restrict__ out, const T* __restrict__ q, const T* __restrict__ k,
                                  const T* __restrict__ v, const int32_t* __restrict__ qSeq,
                                  const int32_t* __restrict__ kSeq, AttnArgs a) {
  extern __shared__ float sm[];
  float* qs = sm;                        // [kRows][Dh]
  float* ks = qs + kRows * a.Dh;         // [kBc][Dh+1]
  float* vs = ks + kBc * (a.Dh + 1);     // [kBc][Dv+1]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t b = blockIdx.z, h = blockIdx.y, g = h / (a.Hq / a.Hkv);
  const int64_t i = int64_t(blockIdx.x) * kRows + warp;
  const bool valid = i < a.T;
  loadRows<T>(qs, static_cast<int>(a.Dh), q, b, int64_t(blockIdx.x) * kRows, kRows, a.T, a.Hq, h, a.Dh);
  __syncthreads();
  float m, l, o[MPL];
  onlinePass<T, MPL>(m, l, o, qs + warp * a.Dh, ks, vs, k, v, qSeq, kSeq, a, b, g, i, valid, lastKeyOfBlock(a));
  if (valid) {
    const float inv = l > 0.f ? 1.f / l : 0.f;
#pragma unroll
    for (int r = 0; r < MPL; ++r) {
      const int64_t dd = lane + 32 * r;
      if (dd < a.Dv) out[((b * a.T + i) * a.Hq + h) * a.Dv + dd] = fromF<T>(o[r] * inv);
    }
  }
}

/** Backward kernel 1: dq, and lse / D per query row for kernel 2. */
template <typename T, int MPL>
__global__ void attnGradQKernel(T* __restrict__ dq, float* __restrict__ lseOut, float* __restrict__ dOut,
                                const T* __restrict__ dy, const T* __restrict__ q, const T* __restrict__ k,
                                const T* __restrict__ v, const int32_t* __restrict__ qSeq,
                                const int32_t* __restrict__ kSeq, AttnArgs a) {
  extern __shared__ float sm[];
  float* qs = sm;                      // [kRows][Dh]
  float* dys = qs + kRows * a.Dh;      // [kRows][Dv]
  float* ks = dys + kRows * a.Dv;      // [kBc][Dh+1]
  float* vs = ks + kBc * (a.Dh + 1);   // [kBc][Dv+1]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t b = blockIdx.z, h = blockIdx.y, g = h / (a.Hq / a.Hkv);
  const int64_t i = int64_t(blockIdx.x) * kRows + warp;
  const bool valid = i < a.T;
  loadRows<T>(qs, static_cast<int>(a.Dh), q, b, int64_t(blockIdx.x) * kRows, kRows, a.T, a.Hq, h, a.Dh);
  loadRows<T>(dys, static_cast<int>(a.Dv), dy, b, int64_t(blockIdx.x) * kRows, kRows, a.T, a.Hq, h, a.Dv);
  __syncthreads();
  const float* qrow = qs + warp * a.Dh;
  const float* dyrow = dys + warp * a.Dv;
  const int64_t blockLast = lastKeyOfBlock(a);
  float m, l, o[MPL];
  onlinePass<T, MPL>(m, l, o, qrow, ks, vs, k, v, qSeq, kSeq, a, b, g, i, valid, blockLast);
  // D_i = dy_i · out_i, lse_i = m + log l (no visible key: lse = +inf so that every p is 0).
  float part = 0.f;
  if (valid && l > 0.f) {
#pragma unroll
    for (int r = 0; r < MPL; ++r) {
      const int64_t dd = lane + 32 * r;
      if (dd < a.Dv) part += dyrow[dd] * (o[r] / l);
    }
  }
  const float Di = warpSum(part);
  const float lse = l > 0.f ? m + logf(l) : INFINITY;
  if (valid && lane == 0) {
    lseOut[(b * a.Hq + h) * a.T + i] = lse;
    dOut[(b * a.Hq + h) * a.T + i] = Di;
  }
  float acc[MPL];
#pragma unroll
  for (int r = 0; r < MPL; ++r) acc[r] = 0.f;
  for (int64_t j0 = 0; j0 <= blockLast; j0 += kBc) {
    loadRows<T>(ks, a.Dh + 1, k, b, j0, kBc, a.S, a.Hkv, g, a.Dh);
    loadRows<T>(vs, a.Dv + 1, v, b, j0, kBc, a.S, a.Hkv, g, a.Dv);
    __syncthreads();
    if (valid && l > 0.f) {
      const int64_t j = j0 + lane;
      float ds = 0.f;
      if (visible(a, qSeq, kSeq, b, i, j)) {
        const float* kr = ks + lane * (a.Dh + 1);
        const float* vr = vs + lane * (a.Dv + 1);
        float dot = 0.f, dp = 0.f;
        for (int64_t dd = 0; dd < a.Dh; ++dd) dot += qrow[dd] * kr[dd];
        for (int64_t dd = 0; dd < a.Dv; ++dd) dp += dyrow[dd] * vr[dd];
        const float p = expf(a.scale * dot - lse);
        ds = p * (dp - Di);
      }
      for (int jj = 0; jj < kBc; ++jj) {
        const float dsj = __shfl_sync(0xffffffffu, ds, jj);
        if (dsj == 0.f) continue;
        const float* kr = ks + jj * (a.Dh + 1);
#pragma unroll
        for (int r = 0; r < MPL; ++r) {
          const int64_t dd = lane + 32 * r;
          if (dd < a.Dh) acc[r] += dsj * kr[dd];
        }
      }
    }
    __syncthreads();
  }
  if (valid) {
#pragma unroll
    for (int r = 0; r < MPL; ++r) {
      const int64_t dd = lane + 32 * r;
      if (dd < a.Dh) dq[((b * a.T + i) * a.Hq + h) * a.Dh + dd] = fromF<T>(a.scale * acc[r]);
    }
  }
}

/** Backward kernel 2: dk, dv; a block holds kRows key rows of one (b, KV head). */
template <typename T, int MPL>
__global__ void attnGradKVKernel(T* __restrict__ dk, T* __restrict__ dv, const float* __restrict__ lseIn,
                                 const float* __restrict__ dIn, const T* __restrict__ dy, const T* __restrict__ q,
                                 const T* __restrict__ k, const T* __restrict__ v, const int32_t* __restrict__ qSeq,
                                 const int32_t* __restrict__ kSeq, AttnArgs a) {
  extern __shared__ float sm[];
  float* kr = sm;                      // [kRows][Dh]
  float* vr = kr + kRows * a.Dh;       // [kRows][Dv]
  float* qt = vr + kRows * a.Dv;       // [kBc][Dh+1]
  float* dyt = qt + kBc * (a.Dh + 1);  // [kBc][Dv+1]
  float* lset = dyt + kBc * (a.Dv + 1);  // [kBc]
  float* dt = lset + kBc;                // [kBc]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t b = blockIdx.z, g = blockIdx.y, rep = a.Hq / a.Hkv;
  const int64_t j0 = int64_t(blockIdx.x) * kRows;
  const int64_t j = j0 + warp;
  const bool valid = j < a.S;
  loadRows<T>(kr, static_cast<int>(a.Dh), k, b, j0, kRows, a.S, a.Hkv, g, a.Dh);
  loadRows<T>(vr, static_cast<int>(a.Dv), v, b, j0, kRows, a.S, a.Hkv, g, a.Dv);
  __syncthreads();
  const float* krow = kr + warp * a.Dh;
  const float* vrow = vr + warp * a.Dv;
  float accK[MPL], accV[MPL];
#pragma unroll
  for (int r = 0; r < MPL; ++r) accK[r] = accV[r] = 0.f;
  // Causal: query i sees key j only if i ≥ j − (S − T).
  int64_t iStart = a.causal ? j0 - (a.S - a.T) : 0;
  if (iStart < 0) iStart = 0;
  for (int64_t hh = 0; hh < rep; ++hh) {
    const int64_t h = g * rep + hh;
    for (int64_t i0 = iStart; i0 < a.T; i0 += kBc) {
      loadRows<T>(qt, a.Dh + 1, q, b, i0, kBc, a.T, a.Hq, h, a.Dh);
      loadRows<T>(dyt, a.Dv + 1, dy, b, i0, kBc, a.T, a.Hq, h, a.Dv);
      for (int idx = threadIdx.x; idx < kBc; idx += blockDim.x) {
        const int64_t i = i0 + idx;
        lset[idx] = i < a.T ? lseIn[(b * a.Hq + h) * a.T + i] : INFINITY;
        dt[idx] = i < a.T ? dIn[(b * a.Hq + h) * a.T + i] : 0.f;
      }
      __syncthreads();
      if (valid) {
        const int64_t i = i0 + lane;
        float p = 0.f, ds = 0.f;
        if (visible(a, qSeq, kSeq, b, i, j)) {
          const float* qrow = qt + lane * (a.Dh + 1);
          const float* dyrow = dyt + lane * (a.Dv + 1);
          float dot = 0.f, dp = 0.f;
          for (int64_t dd = 0; dd < a.Dh; ++dd) dot += qrow[dd] * krow[dd];
          for (int64_t dd = 0; dd < a.Dv; ++dd) dp += dyrow[dd] * vrow[dd];
          p = expf(a.scale * dot - lset[lane]);
          ds = p * (dp - dt[lane]);
        }
        for (int ii = 0; ii < kBc; ++ii) {
          const float pi = __shfl_sync(0xffffffffu, p, ii);
          const float dsi = __shfl_sync(0xffffffffu, ds, ii);
          if (pi == 0.f && dsi == 0.f) continue;
          const float* qrow = qt + ii * (a.Dh + 1);
          const float* dyrow = dyt + ii * (a.Dv + 1);
#pragma unroll
          for (int r = 0; r < MPL; ++r) {
            const int64_t dd = lane + 32 * r;
            if (dd < a.Dv) accV[r] += pi * dyrow[dd];
            if (dd < a.Dh) accK[r] += dsi * qrow[dd];
          }
        }
      }
      __syncthreads();
    }
  }
  if (valid) {
#pragma unroll
    for (int r = 0; r < MPL; ++r) {
      const int64_t dd = lane + 32 * r;
      if (dd < a.Dh) dk[((b * a.S + j) * a.Hkv + g) * a.Dh + dd] = fromF<T>(a.scale * accK[r]);
      if (dd < a.Dv) dv[((b * a.S + j) * a.Hkv + g) * a.Dv + dd] = fromF<T>(accV[r]);
    }
  }
}

/** FALCON_H1_CUDA_ATTENTION=cuda-cores keeps every call on the kernels of this file (A/B timing, a way out). */
bool fastPathsEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("FALCON_H1_CUDA_ATTENTION");
    return v == nullptr || std::string(v) != "cuda-cores";
  }();
  return enabled;
}

void checkDims(const AttnArgs& a) {
  if (a.B > 65535 || a.Hq > 65535) throw Error("Attention: batch or head count above 65535");
}

}  // namespace

void launchAttention(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v, const int32_t* qSeq,
                     const int32_t* kSeq, const AttnArgs& a) {
  if (a.B == 0 || a.T == 0 || a.Hq == 0 || a.Dv == 0) return;
  checkDims(a);
  // A few query rows against a long KV (decode): split the keys over blocks (attention_decode.cu).
  if (fastPathsEnabled() && attnDecodeEligible(ctx, a)) {
    launchAttentionDecode(ctx, dtype, out, q, k, v, qSeq, kSeq, a);
    return;
  }
  // 16-bit storage, head dim 64 or 128: tensor cores (attention_tc.cu).
  if (fastPathsEnabled() && attnTcEligible(ctx, dtype, a) && attnTcAligned({out, q, k, v})) {
    launchAttentionTc(ctx, dtype, out, q, k, v, qSeq, kSeq, a);
    return;
  }
  const size_t shared = (kRows * a.Dh + kBc * (a.Dh + 1) + kBc * (a.Dv + 1)) * sizeof(float);
  const dim3 grid(static_cast<unsigned>((a.T + kRows - 1) / kRows), static_cast<unsigned>(a.Hq),
                  static_cast<unsigned>(a.B));
  const int64_t maxD = a.Dh > a.Dv ? a.Dh : a.Dv;
  FH_DISPATCH_FLOAT(dtype, "Attention", {
    FH_MPL_DISPATCH(maxD, {
      prepareShared(attnForwardKernel<T, MPL>, shared, ctx);
      attnForwardKernel<T, MPL><<<grid, 32 * kRows, shared, ctx.stream>>>(
          static_cast<T*>(out), static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), qSeq,
          kSeq, a);
    });
  });
  checkLaunch("Attention");
}

void launchAttentionGrad(Ctx& ctx, int dtype, void* dq, void* dk, void* dv, const void* dy, const void* q,
                         const void* k, const void* v, const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a) {
  if (a.B == 0 || a.Hq == 0) return;
  checkDims(a);
  const size_t es = dtypeSize(dtype);
  if (a.T == 0) {  // no queries: nothing reaches the keys
    FH_CHECK(cudaMemsetAsync(dk, 0, a.B * a.S * a.Hkv * a.Dh * es, ctx.stream));
    FH_CHECK(cudaMemsetAsync(dv, 0, a.B * a.S * a.Hkv * a.Dv * es, ctx.stream));
    return;
  }
  if (fastPathsEnabled() && attnTcEligible(ctx, dtype, a) && attnTcAligned({dq, dk, dv, dy, q, k, v})) {
    launchAttentionGradTc(ctx, dtype, dq, dk, dv, dy, q, k, v, qSeq, kSeq, a);
    return;
  }
  Scratch lse(*ctx.alloc, a.B * a.Hq * a.T * sizeof(float));
  Scratch dd(*ctx.alloc, a.B * a.Hq * a.T * sizeof(float));
  const int64_t maxD = a.Dh > a.Dv ? a.Dh : a.Dv;
  const size_t sharedQ = (kRows * (a.Dh + a.Dv) + kBc * (a.Dh + 1) + kBc * (a.Dv + 1)) * sizeof(float);
  const size_t sharedKV = (kRows * (a.Dh + a.Dv) + kBc * (a.Dh + 1) + kBc * (a.Dv + 1) + 2 * kBc) * sizeof(float);
  const dim3 gridQ(static_cast<unsigned>((a.T + kRows - 1) / kRows), static_cast<unsigned>(a.Hq),
                   static_cast<unsigned>(a.B));
  FH_DISPATCH_FLOAT(dtype, "AttentionGrad", {
    FH_MPL_DISPATCH(maxD, {
      prepareShared(attnGradQKernel<T, MPL>, sharedQ, ctx);
      attnGradQKernel<T, MPL><<<gridQ, 32 * kRows, sharedQ, ctx.stream>>>(
          static_cast<T*>(dq), lse.as<float>(), dd.as<float>(), static_cast<const T*>(dy), static_cast<const T*>(q),
          static_cast<const T*>(k), static_cast<const T*>(v), qSeq, kSeq, a);
      checkLaunch("AttentionGrad (dq)");
      if (a.S > 0) {
        const dim3 gridKV(static_cast<unsigned>((a.S + kRows - 1) / kRows), static_cast<unsigned>(a.Hkv),
                          static_cast<unsigned>(a.B));
        prepareShared(attnGradKVKernel<T, MPL>, sharedKV, ctx);
        attnGradKVKernel<T, MPL><<<gridKV, 32 * kRows, sharedKV, ctx.stream>>>(
            static_cast<T*>(dk), static_cast<T*>(dv), lse.as<float>(), dd.as<float>(), static_cast<const T*>(dy),
            static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), qSeq, kSeq, a);
        checkLaunch("AttentionGrad (dk, dv)");
      }
    });
  });
}

}  // namespace fh
