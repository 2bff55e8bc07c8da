/*
 * ssd_tc.cu — the Mamba2 SSD ("state space duality") scan as matrix products on tensor cores, for f16/bf16.
 *
 * Per batch row b, head h (group g = h / (H/G)) and chunk of Q = 64 tokens, with a_j = dt_j·A_h, the inclusive
 * cumulative sum A_i = Σ_{j≤i} a_j (f32), X_j = dt_j·x_j and run ids ρ (document changes counted inside the chunk:
 * ρ_i = 0 means token i is still in the document of the previous chunk's last token / of the initial state):
 *   L_ij = exp(A_i − A_j) if j ≤ i and ρ_i = ρ_j, else 0                  (decay mask, masked before exp)
 *   e_i  = exp(A_i) if ρ_i = 0, else 0                                     (start state → token i)
 *   w_j  = exp(A_last − A_j) if ρ_j = ρ_last, else 0                       (token j → chunk end state)
 *   κ    = exp(A_last) if ρ_last = 0, else 0                               (start state → end state)
 *   Y_i  = Σ_j (C_i·B_j)·L_ij·X_j + e_i·C_i·S0ᵀ;   y = Y + D·x
 *   S_end = κ·S0 + Σ_j w_j·X_j ⊗ B_j
 * S0, the chunk's start state, comes from one sequential f32 pass over chunks (ssdCarryKernel) of the chunk-local
 * states Σ_j w_j·X_j ⊗ B_j and decays κ. Every product (C·Bᵀ, (C·Bᵀ∘L)·x, C·S0ᵀ, (w∘X)ᵀ·B) runs on WMMA 16×16×16
 * tiles with 16-bit operands staged in shared memory (P and N padded with zeros to multiples of 16) and f32
 * accumulators; cumulative sums, decays and states stay f32. x, B, C are read in the activations' 16-bit dtype, dt,
 * A and D as f32 (a bf16/f16 model's own ones, or 16-bit ones widened by launchSsmScan). y takes dt's dtype: the
 * 16-bit one, or f32 (a bf16/f16 model's mixed scan, written from the f32 accumulators unrounded); the backward's
 * dy comes in y's dtype and, when f32, is rounded to the 16-bit dtype as it is staged into shared memory: the MMAs
 * take 16-bit operands, and the element-wise terms (D·dy, Σ dy·x) read the same staged copy.
 *
 * Backward, given dY = dy and the end-state adjoint Gc of each chunk (the reverse ssdCarryKernel pass of the
 * chunk-local adjoints Σ_i e_i·dY_i ⊗ C_i, from dFinalState; its value before chunk 0 is dinitialState), with the
 * forward's chunk states recomputed (the contract hands the backward only the inputs):
 *   dX_j = Σ_i (C_i·B_j)·L_ij·dY_i + w_j·B_j·Gcᵀ          dx = dt·dX + D·dy
 *   dB_j = Σ_i (dY_i·X_j)·L_ij·C_i + w_j·X_j·Gc           dC_i = Σ_j (dY_i·X_j)·L_ij·B_j + e_i·dY_i·S0
 *   ∂/∂A_k (the cumulative sums): Σ_j G_kj − Σ_i G_ik with G_ij = (C_i·B_j)(dY_i·X_j)L_ij; + e_k·dY_k·(C_k·S0ᵀ);
 *   − h_k and, at k = last, + Σ_j h_j + κ·<S0, Gc>, where h_j = w_j·X_j·(B_j·Gcᵀ);
 *   da_j = Σ_{k≥j} ∂/∂A_k;   ddt_j = A_h·da_j + x_j·dX_j;   dA_h = Σ_j dt_j·da_j;   dD_h = Σ dy·x.
 * dB and dC sum over the heads of a group with f32 global atomics.
 */
#include <mma.h>

#include <cmath>
#include <type_traits>

#include "common.cuh"
#include "mma_fragments.cuh"
#include "ssd_tc.cuh"
#include "ssm_scan.cuh"

namespace fh {

namespace {

using namespace nvcuda;

constexpr int kQ = static_cast<int>(kSsdChunk);
constexpr int kThreads = 256;  // eight warps per chunk block
constexpr int kWarps = kThreads / 32;
// The backward's block: sixteen warps. Its shared memory (~158 KB at the 0.5B's P = 64, N = 128) leaves one block per
// SM, so the warps of one block are all an SM has to hide latency with (Nsight Compute, 8 warps: 12.5 % occupancy,
// an estimated 67 % to gain from more).
constexpr int kGradThreads = 512;
constexpr int kGradWarps = kGradThreads / 32;
constexpr int kTile = 16;
// Shared-memory rows are kSkew 16-bit elements (16 bytes) longer than their content so that the 16 rows a WMMA
// fragment load touches start in different banks (a 128-byte multiple would put them all on the same ones).
constexpr int kSkew = 8;
constexpr int lQ = kQ + kSkew;  // row length of the 16-bit [Q × Q] matrices
constexpr int lF = kQ + 4;      // row length of the f32 [Q × Q] matrices
/** The backward's f32 region: C·Bᵀ and dy·xᵀ [Q × lF] each, then (over them, and past them) the warps' 3 staging tiles. */
constexpr int kGradFloats = 2 * kQ * lF > kGradWarps * 3 * kTile * kTile ? 2 * kQ * lF : kGradWarps * 3 * kTile * kTile;

__host__ __device__ __forceinline__ int pad16(int64_t v) { return static_cast<int>((v + 15) & ~int64_t(15)); }

using FragC = wmma::fragment<wmma::accumulator, kTile, kTile, kTile, float>;

/**
 * acc += A·B over k = 0 … K−1 (K a multiple of 16), each operand stored row-major (LayoutX = wmma::row_major) or
 * transposed (wmma::col_major: the [K × M] / [N × K] storage of Aᵀ / Bᵀ), with its row length; pointers at the tile.
 */
template <typename T, typename LayoutA, typename LayoutB>
__device__ __forceinline__ void mmaTile(FragC& acc, const T* a, int lda, const T* b, int ldb, int K) {
  constexpr bool aRows = std::is_same<LayoutA, wmma::row_major>::value;
  constexpr bool bRows = std::is_same<LayoutB, wmma::row_major>::value;
  for (int k = 0; k < K; k += kTile) {
    wmma::fragment<wmma::matrix_a, kTile, kTile, kTile, T, LayoutA> fa;
    wmma::fragment<wmma::matrix_b, kTile, kTile, kTile, T, LayoutB> fb;
    wmma::load_matrix_sync(fa, a + (aRows ? k : int64_t(k) * lda), lda);
    wmma::load_matrix_sync(fb, b + (bRows ? int64_t(k) * ldb : k), ldb);
    wmma::mma_sync(acc, fa, fb, acc);
  }
}
/** Stores the fragments into the warp's consecutive 16×16 f32 staging tiles (row-major), then syncs the warp. */
template <typename... Frags>
__device__ __forceinline__ void stageTiles(float* st, const Frags&... frags) {
  int i = 0;
  (wmma::store_matrix_sync(st + kTile * kTile * i++, frags, kTile, wmma::mem_row_major), ...);
  __syncwarp();
}

/** acc += A·B (both row-major). */
template <typename T>
__device__ __forceinline__ void mmaNN(FragC& acc, const T* a, int lda, const T* b, int ldb, int K) {
  mmaTile<T, wmma::row_major, wmma::row_major>(acc, a, lda, b, ldb, K);
}
/** acc += A·Bᵀ (B stored row-major [N × K]). */
template <typename T>
__device__ __forceinline__ void mmaNT(FragC& acc, const T* a, int lda, const T* b, int ldb, int K) {
  mmaTile<T, wmma::row_major, wmma::col_major>(acc, a, lda, b, ldb, K);
}
/** acc += Aᵀ·B (A stored row-major [K × M]). */
template <typename T>
__device__ __forceinline__ void mmaTN(FragC& acc, const T* a, int lda, const T* b, int ldb, int K) {
  mmaTile<T, wmma::col_major, wmma::row_major>(acc, a, lda, b, ldb, K);
}

/** The work of one chunk block: chunk c, head h, batch row b (grid (nc, H, B)), h's group, first token, padded P/N. */
struct ChunkBlock {
  int64_t c, h, b, g, nc, t0;
  int PP, NP;
  __device__ explicit ChunkBlock(const SsdDims& d)
      : c(blockIdx.x),
        h(blockIdx.y),
        b(blockIdx.z),
        g(h / (d.H / d.G)),
        nc(gridDim.x),
        t0(c * kQ),
        PP(pad16(d.P)),
        NP(pad16(d.N)) {}
};

/** Per-chunk f32 scalars: inclusive cumsum A_i of dt·A, dt, and the run id ρ_i (document changes so far). */
struct ChunkScalars {
  float A[kQ];
  float dt[kQ];
  int run[kQ];
  float w[kQ];       // w_j = exp(A_last − A_j) in the chunk's last document, else 0
  float e[kQ];       // e_i = exp(A_i) in the previous chunk's last document, else 0
  float aux[4][kQ];  // the backward's per-token sums
};

/**
 * Fills `s` for chunk tokens t0 … t0+Q−1 (tokens past T: dt = 0, no document change) and synchronises the block.
 * Warp 0: two tokens per lane, then an inclusive warp scan.
 */
__device__ void chunkPrefix(ChunkScalars& s, const float* __restrict__ dt, float Ah, const int32_t* __restrict__ seq,
                            int64_t b, int64_t h, int64_t t0, const SsdDims& d) {
  if (threadIdx.x < 32) {
    const int lane = threadIdx.x;
    float a[2], dv[2];
    int r[2];
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const int64_t t = t0 + 2 * lane + k;
      const bool valid = t < d.T;
      dv[k] = valid ? dt[(b * d.T + t) * d.H + h] : 0.f;
      a[k] = dv[k] * Ah;
      r[k] = (valid && seq != nullptr && t > 0 && seq[b * d.T + t] != seq[b * d.T + t - 1]) ? 1 : 0;
    }
    float sa = a[0] + a[1];
    int sr = r[0] + r[1];
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const float va = __shfl_up_sync(0xffffffffu, sa, o);
      const int vr = __shfl_up_sync(0xffffffffu, sr, o);
      if (lane >= o) {
        sa += va;
        sr += vr;
      }
    }
    const float ea = sa - (a[0] + a[1]);
    const int er = sr - (r[0] + r[1]);
    s.A[2 * lane] = ea + a[0];
    s.A[2 * lane + 1] = ea + a[0] + a[1];
    s.run[2 * lane] = er + r[0];
    s.run[2 * lane + 1] = er + r[0] + r[1];
    s.dt[2 * lane] = dv[0];
    s.dt[2 * lane + 1] = dv[1];
    const float aLast = __shfl_sync(0xffffffffu, ea + a[0] + a[1], 31);
    const int runLast = __shfl_sync(0xffffffffu, er + r[0] + r[1], 31);
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const int j = 2 * lane + k;
      s.w[j] = s.run[j] == runLast ? expf(aLast - s.A[j]) : 0.f;
      s.e[j] = s.run[j] == 0 ? expf(s.A[j]) : 0.f;
    }
  }
  __syncthreads();
}

__device__ __forceinline__ float endWeight(const ChunkScalars& s, int j) { return s.w[j]; }
__device__ __forceinline__ float startWeight(const ChunkScalars& s, int i) { return s.e[i]; }
__device__ __forceinline__ float decayMask(const ChunkScalars& s, int i, int j) {
  return (j <= i && s.run[i] == s.run[j]) ? expf(s.A[i] - s.A[j]) : 0.f;
}

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

/** The identity row scale of stageRows. */
struct Unscaled {
  __device__ float operator()(int) const { return 1.f; }
};

/** Loads a thread keeps in flight while staging (each waits a full L2/HBM round trip; issued one by one, a block's
 * staging was a chain of them: Nsight Compute's top stall in ssdOutputKernel, "long scoreboard"). */
constexpr int kInFlight = 4;

/**
 * Rows t0 … t0+Q−1 of a [B, T, K, width] tensor (stored as S: T, or f32 for an f32 dy) at (b, ·, k) into shared memory
 * [Q × ld] as T, row j multiplied by rowScale(j) when SCALED, zero past T and past width. 16-bit rows whose width is a
 * multiple of 8 move as 16-byte vectors: unscaled ones by cp.async (no register holds them; the caller calls
 * waitStaged() before the barrier that publishes them), scaled ones kInFlight loads at a time.
 */
template <typename T, bool SCALED = false, typename RowScale = Unscaled, typename S = T>
__device__ __forceinline__ void stageRows(T* dst, int ld, const S* __restrict__ src, int64_t b, int64_t t0, int64_t k,
                                          int64_t K, int64_t width, const SsdDims& d, RowScale rowScale = {}) {
  const int64_t stride = K * width;
  const S* base = src + ((b * d.T + t0) * K + k) * width;
  const int rows = d.T - t0 < kQ ? static_cast<int>(d.T - t0) : kQ;
  if constexpr (std::is_same<S, T>::value) {
    if (width % 8 == 0 && aligned16(src)) {
      const int vecs = ld / 8, total = kQ * vecs;
      if constexpr (!SCALED) {
        for (int i = threadIdx.x; i < total; i += blockDim.x) {
          const int j = i / vecs, c = (i - j * vecs) * 8;
          const bool valid = c < width && j < rows;
          tc::cpAsync16(dst + j * ld + c, valid ? base + j * stride + c : src, valid);
        }
        tc::cpAsyncCommit();
      } else {
        for (int i0 = threadIdx.x; i0 < total; i0 += kInFlight * blockDim.x) {
          uint4 raw[kInFlight];
#pragma unroll
          for (int u = 0; u < kInFlight; ++u) {
            const int i = i0 + u * blockDim.x, j = i / vecs, c = (i - j * vecs) * 8;
            raw[u] = make_uint4(0, 0, 0, 0);
            if (i < total && c < width && j < rows) raw[u] = __ldg(reinterpret_cast<const uint4*>(base + j * stride + c));
          }
#pragma unroll
          for (int u = 0; u < kInFlight; ++u) {
            const int i = i0 + u * blockDim.x, j = i / vecs, c = (i - j * vecs) * 8;
            if (i >= total) break;
            if (c < width && j < rows) {
              alignas(16) T v[8];
              *reinterpret_cast<uint4*>(v) = raw[u];
              const float f = rowScale(j);
#pragma unroll
              for (int e = 0; e < 8; ++e) v[e] = fromF<T>(f * toF<T>(v[e]));
              raw[u] = *reinterpret_cast<const uint4*>(v);
            }
            *reinterpret_cast<uint4*>(dst + j * ld + c) = raw[u];
          }
        }
      }
      return;
    }
  }
  // Element by element (an f32 dy, odd widths), kInFlight loads at a time.
  for (int i0 = threadIdx.x; i0 < kQ * ld; i0 += kInFlight * blockDim.x) {
    S raw[kInFlight];
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      const int i = i0 + u * blockDim.x, j = i / ld, c = i - j * ld;
      if (i < kQ * ld && c < width && j < rows) raw[u] = base[j * stride + c];
    }
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      const int i = i0 + u * blockDim.x, j = i / ld, c = i - j * ld;
      if (i >= kQ * ld) break;
      float v = 0.f;
      if (c < width && j < rows) v = toF<S>(raw[u]) * (SCALED ? rowScale(j) : 1.f);
      dst[i] = fromF<T>(v);
    }
  }
}

/** Waits for this thread's cp.async copies of stageRows; a __syncthreads after it publishes every thread's. */
__device__ __forceinline__ void waitStaged() { tc::cpAsyncWait<0>(); }

/**
 * A [P × N] f32 state (global) into shared memory as T [PP × NP], zero-padded, and optionally a second one (src2 →
 * dst2) with this thread's share of the f32 dot product <src, src2> returned. float4 loads when N % 4 = 0, kInFlight
 * (of each state) at a time.
 */
template <typename T>
__device__ __forceinline__ float stageStates(T* dst, const float* __restrict__ src, T* dst2,
                                             const float* __restrict__ src2, int PP, int NP, int ld,
                                             const SsdDims& d) {
  float dot = 0.f;
  if (d.N % 4 == 0 && aligned16(src) && (src2 == nullptr || aligned16(src2))) {
    const int vecs = NP / 4, total = PP * vecs;
    for (int i0 = threadIdx.x; i0 < total; i0 += kInFlight * blockDim.x) {
      float4 a[kInFlight], g[kInFlight];
#pragma unroll
      for (int u = 0; u < kInFlight; ++u) {
        const int i = i0 + u * blockDim.x, p = i / vecs, n = (i - p * vecs) * 4;
        a[u] = g[u] = make_float4(0.f, 0.f, 0.f, 0.f);
        if (i < total && p < d.P && n < d.N) {
          a[u] = __ldg(reinterpret_cast<const float4*>(src + p * d.N + n));
          if (src2 != nullptr) g[u] = __ldg(reinterpret_cast<const float4*>(src2 + p * d.N + n));
        }
      }
#pragma unroll
      for (int u = 0; u < kInFlight; ++u) {
        const int i = i0 + u * blockDim.x, p = i / vecs, n = (i - p * vecs) * 4;
        if (i >= total) break;
        T* o = dst + p * ld + n;
        o[0] = fromF<T>(a[u].x), o[1] = fromF<T>(a[u].y), o[2] = fromF<T>(a[u].z), o[3] = fromF<T>(a[u].w);
        if (src2 != nullptr) {
          T* o2 = dst2 + p * ld + n;
          o2[0] = fromF<T>(g[u].x), o2[1] = fromF<T>(g[u].y), o2[2] = fromF<T>(g[u].z), o2[3] = fromF<T>(g[u].w);
          dot += a[u].x * g[u].x + a[u].y * g[u].y + a[u].z * g[u].z + a[u].w * g[u].w;
        }
      }
    }
    return dot;
  }
  for (int i = threadIdx.x; i < PP * NP; i += blockDim.x) {
    const int p = i / NP, n = i - p * NP;
    const bool in = p < d.P && n < d.N;
    const float a = in ? src[p * d.N + n] : 0.f;
    dst[p * ld + n] = fromF<T>(a);
    if (src2 != nullptr) {
      const float g = in ? src2[p * d.N + n] : 0.f;
      dst2[p * ld + n] = fromF<T>(g);
      dot += a * g;
    }
  }
  return dot;
}

/** The start of the output and gradient kernels' shared memory: scalars | C, B [Q × (NP + kSkew)] | x [Q × (PP + kSkew)]. */
template <typename T>
struct ChunkOperands {
  ChunkScalars* s;
  T* cs;
  T* bs;
  T* xs;
  unsigned char* rest;  // where the kernel's own arrays start
};

/**
 * Lays out ChunkOperands, starts the copies of C, B and x (cp.async: they travel while the chunk's scalars are
 * computed) and computes the scalars. The caller calls waitStaged() before the barrier after its own staging.
 */
template <typename T>
__device__ ChunkOperands<T> stageChunkOperands(unsigned char* smem, const ChunkBlock& blk, const T* __restrict__ x,
                                               const float* __restrict__ dt, const float* __restrict__ A,
                                               const T* __restrict__ Bm, const T* __restrict__ Cm,
                                               const int32_t* __restrict__ seq, const SsdDims& d) {
  const int lP = blk.PP + kSkew, lN = blk.NP + kSkew;
  ChunkOperands<T> o;
  o.s = reinterpret_cast<ChunkScalars*>(smem);
  o.cs = reinterpret_cast<T*>(smem + sizeof(ChunkScalars));
  o.bs = o.cs + kQ * lN;
  o.xs = o.bs + kQ * lN;
  o.rest = reinterpret_cast<unsigned char*>(o.xs + kQ * lP);
  stageRows<T>(o.cs, lN, Cm, blk.b, blk.t0, blk.g, d.G, d.N, d);
  stageRows<T>(o.bs, lN, Bm, blk.b, blk.t0, blk.g, d.G, d.N, d);
  stageRows<T>(o.xs, lP, x, blk.b, blk.t0, blk.h, d.H, d.P, d);
  chunkPrefix(*o.s, dt, A[blk.h], seq, blk.b, blk.h, blk.t0, d);
  return o;
}

/**
 * Chunk-local end states (mode 0) or chunk-local adjoints (mode 1), [B, nc, H, P, N] f32, and decays κ [B, nc, H]
 * (mode 0 only):
 *   mode 0: Σ_j w_j·dt_j·x_j ⊗ B_j        mode 1: Σ_i e_i·dy_i ⊗ C_i
 * u (x, or dy in y's type U) is staged as T. Grid (nc, H, B); shared: scalars | u [Q × PP] | v [Q × NP] | per-warp
 * 16×16 f32 staging.
 */
template <typename T, int MODE, typename U = T>
__global__ void __launch_bounds__(kThreads)
    ssdChunkStateKernel(float* __restrict__ out, float* __restrict__ decay, const U* __restrict__ u,
                        const T* __restrict__ v, const float* __restrict__ dt, const float* __restrict__ A,
                        const int32_t* __restrict__ seq, SsdDims d) {
  extern __shared__ __align__(128) unsigned char smem[];
  const ChunkBlock blk(d);
  const int64_t c = blk.c, h = blk.h, b = blk.b, g = blk.g, nc = blk.nc, t0 = blk.t0;
  const int PP = blk.PP, NP = blk.NP, lP = PP + kSkew, lN = NP + kSkew;
  ChunkScalars& s = *reinterpret_cast<ChunkScalars*>(smem);
  T* us = reinterpret_cast<T*>(smem + sizeof(ChunkScalars));
  T* vs = us + kQ * lP;
  float* stage = reinterpret_cast<float*>(vs + kQ * lN);
  stageRows<T>(vs, lN, v, b, t0, g, d.G, d.N, d);  // cp.async: travels while the scalars are computed
  chunkPrefix(s, dt, A[h], seq, b, h, t0, d);
  if (MODE == 0) {
    stageRows<T, true>(us, lP, u, b, t0, h, d.H, d.P, d, [&](int j) { return endWeight(s, j) * s.dt[j]; });
    if (threadIdx.x == 0) decay[(b * nc + c) * d.H + h] = s.run[kQ - 1] == 0 ? expf(s.A[kQ - 1]) : 0.f;
  } else {
    stageRows<T, true>(us, lP, u, b, t0, h, d.H, d.P, d, [&](int i) { return startWeight(s, i); });
  }
  waitStaged();
  __syncthreads();
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int tilesN = NP / kTile;
  float* st = stage + warp * kTile * kTile;
  float* dst = out + ((b * nc + c) * d.H + h) * d.P * d.N;
  for (int tile = warp; tile < (PP / kTile) * tilesN; tile += kWarps) {
    const int tp = tile / tilesN, tn = tile - tp * tilesN;
    FragC acc;
    wmma::fill_fragment(acc, 0.f);
    mmaTN<T>(acc, us + tp * kTile, lP, vs + tn * kTile, lN, kQ);  // uᵀ·v
    stageTiles(st, acc);
    for (int e = lane; e < kTile * kTile; e += 32) {
      const int p = tp * kTile + e / kTile, n = tn * kTile + e % kTile;
      if (p < d.P && n < d.N) dst[p * d.N + n] = st[e];
    }
    __syncwarp();
  }
}

/** Shared bytes of ssdChunkStateKernel. */
size_t stateSmem(int64_t P, int64_t N, size_t elem) {
  return sizeof(ChunkScalars) + kQ * (pad16(P) + pad16(N) + 2 * kSkew) * elem + kWarps * kTile * kTile * sizeof(float);
}

/**
 * Forward output of one chunk: y = (C·Bᵀ∘L∘dt)·x + e∘(C·S0ᵀ) + D·x, stored as Y (T or f32). Grid (nc, H, B).
 * Shared: scalars | C, B [Q × NP] | x [Q × PP] | S0 [PP × NP] | C·Bᵀ f32 [Q × Q], then the warps' 2 × 16×16 f32
 * staging tiles | M [Q × Q].
 */
template <typename T, typename Y>
__global__ void __launch_bounds__(kThreads)
    ssdOutputKernel(Y* __restrict__ y, const float* __restrict__ start, const T* __restrict__ x,
                    const float* __restrict__ dt, const float* __restrict__ A, const T* __restrict__ Bm,
                    const T* __restrict__ Cm, const float* __restrict__ D, const int32_t* __restrict__ seq,
                    SsdDims d) {
  extern __shared__ __align__(128) unsigned char smem[];
  const ChunkBlock blk(d);
  const int64_t c = blk.c, h = blk.h, b = blk.b, nc = blk.nc, t0 = blk.t0;
  const int PP = blk.PP, NP = blk.NP, lP = PP + kSkew, lN = NP + kSkew;
  const ChunkOperands<T> op = stageChunkOperands<T>(smem, blk, x, dt, A, Bm, Cm, seq, d);
  ChunkScalars& s = *op.s;
  const T *cs = op.cs, *bs = op.bs, *xs = op.xs;
  T* ss = reinterpret_cast<T*>(op.rest);
  float* cb = reinterpret_cast<float*>(ss + PP * lN);
  T* m = reinterpret_cast<T*>(cb + kQ * lF);
  float* stage = cb;  // C·Bᵀ is dead once M is built
  static_assert(kWarps * 2 * kTile * kTile <= kQ * lF, "output staging must fit over C·Bᵀ");
  stageStates<T>(ss, start + ((b * nc + c) * d.H + h) * d.P * d.N, nullptr, nullptr, PP, NP, lN, d);
  waitStaged();
  __syncthreads();
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  constexpr int tilesQ = kQ / kTile;
  for (int tile = warp; tile < tilesQ * tilesQ; tile += kWarps) {  // C·Bᵀ
    const int ti = tile / tilesQ, tj = tile - ti * tilesQ;
    FragC acc;
    wmma::fill_fragment(acc, 0.f);
    mmaNT<T>(acc, cs + ti * kTile * lN, lN, bs + tj * kTile * lN, lN, NP);
    wmma::store_matrix_sync(cb + ti * kTile * lF + tj * kTile, acc, lF, wmma::mem_row_major);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < kQ * kQ; i += kThreads) {
    const int r = i / kQ, j = i - r * kQ;
    m[r * lQ + j] = fromF<T>(cb[r * lF + j] * decayMask(s, r, j) * s.dt[j]);
  }
  __syncthreads();
  const float Dh = D != nullptr ? D[h] : 0.f;
  const int tilesP = PP / kTile;
  float* st = stage + warp * 2 * kTile * kTile;
  for (int tile = warp; tile < tilesQ * tilesP; tile += kWarps) {
    const int ti = tile / tilesP, tp = tile - ti * tilesP;
    FragC intra, fromStart;
    wmma::fill_fragment(intra, 0.f);
    wmma::fill_fragment(fromStart, 0.f);
    mmaNN<T>(intra, m + ti * kTile * lQ, lQ, xs + tp * kTile, lP, kQ);
    mmaNT<T>(fromStart, cs + ti * kTile * lN, lN, ss + tp * kTile * lN, lN, NP);
    stageTiles(st, intra, fromStart);
    for (int e = lane; e < kTile * kTile; e += 32) {
      const int i = ti * kTile + e / kTile, p = tp * kTile + e % kTile;
      const int64_t t = t0 + i;
      if (t < d.T && p < d.P) {
        // D·x from the staged copy of x (the same 16-bit values): no global load in the store loop.
        const int64_t yi = ((b * d.T + t) * d.H + h) * d.P + p;
        y[yi] = fromF<Y>(st[e] + startWeight(s, i) * st[kTile * kTile + e] + Dh * toF<T>(xs[i * lP + p]));
      }
    }
    __syncwarp();
  }
}

size_t outputSmem(int64_t P, int64_t N, size_t elem) {
  const int64_t PP = pad16(P), lP = PP + kSkew, lN = pad16(N) + kSkew;
  return sizeof(ChunkScalars) + (2 * kQ * lN + kQ * lP + PP * lN + kQ * lQ) * elem + kQ * lF * sizeof(float);
}

/**
 * Backward of one chunk (see the file comment). Grid (nc, H, B). Shared: scalars | C, B [Q × NP] | x, dy [Q × PP] |
 * S0, Gc [PP × NP] | C·Bᵀ, dy·xᵀ f32 [Q × Q], then the warps' 3 × 16×16 f32 staging tiles |
 * M1 = (dy·Xᵀ)∘L, M2 = (C·Bᵀ)∘L [Q × Q]. dy (Y: T or f32) is staged as T.
 */
template <typename T, typename Y>
__global__ void __launch_bounds__(kGradThreads)
    ssdGradKernel(T* __restrict__ dx, SsdGradAcc acc, const float* __restrict__ start, const float* __restrict__ gend,
                  const Y* __restrict__ dy, const T* __restrict__ x, const float* __restrict__ dt,
                  const float* __restrict__ A, const T* __restrict__ Bm, const T* __restrict__ Cm,
                  const float* __restrict__ D, const int32_t* __restrict__ seq, SsdDims d) {
  extern __shared__ __align__(128) unsigned char smem[];
  __shared__ float red[32];
  const ChunkBlock blk(d);
  const int64_t c = blk.c, h = blk.h, b = blk.b, g = blk.g, nc = blk.nc, t0 = blk.t0;
  const int PP = blk.PP, NP = blk.NP, lP = PP + kSkew, lN = NP + kSkew;
  const ChunkOperands<T> op = stageChunkOperands<T>(smem, blk, x, dt, A, Bm, Cm, seq, d);
  ChunkScalars& s = *op.s;
  const T *cs = op.cs, *bs = op.bs, *xs = op.xs;
  T* dys = reinterpret_cast<T*>(op.rest);
  T* s0 = dys + kQ * lP;
  T* gs = s0 + PP * lN;
  float* cb = reinterpret_cast<float*>(gs + PP * lN);
  float* dyx = cb + kQ * lF;
  T* m1 = reinterpret_cast<T*>(cb + kGradFloats);
  T* m2 = m1 + kQ * lQ;
  // The warps' staging tiles start over C·Bᵀ and dy·xᵀ (dead once M1, M2 and the ∂/∂A row/column sums are done) and
  // run past them (gradStageFloats: sixteen warps' three tiles are more than the two f32 matrices).
  float* stage = cb;
  float* dAk = s.aux[0];   // ∂/∂A_k, accumulated
  float* xdX = s.aux[1];   // x_j·dX_j
  float* yCS = s.aux[2];   // dy_i·(C_i·S0ᵀ)
  float* xBG = s.aux[3];   // x_j·(B_j·Gcᵀ)
  const float Ah = A[h];
  for (int i = threadIdx.x; i < 4 * kQ; i += kGradThreads) s.aux[i / kQ][i % kQ] = 0.f;
  stageRows<T>(dys, lP, dy, b, t0, h, d.H, d.P, d);
  const int64_t stateOff = ((b * nc + c) * d.H + h) * d.P * d.N;
  // <S0, Gc> in f32 from the f32 states, and Σ dy·x for dD.
  float dotSG = stageStates<T>(s0, start + stateOff, gs, gend + stateOff, PP, NP, lN, d);
  float dotYX = 0.f;
  waitStaged();
  __syncthreads();
  for (int i = threadIdx.x; i < kQ * lP; i += kGradThreads) dotYX += toF<T>(dys[i]) * toF<T>(xs[i]);
  dotSG = blockSum(dotSG, red);
  dotYX = blockSum(dotYX, red);
  __syncthreads();

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  constexpr int tilesQ = kQ / kTile;
  for (int tile = warp; tile < 2 * tilesQ * tilesQ; tile += kGradWarps) {  // C·Bᵀ and dy·xᵀ
    const int which = tile / (tilesQ * tilesQ), rest = tile % (tilesQ * tilesQ);
    const int ti = rest / tilesQ, tj = rest - ti * tilesQ;
    FragC f;
    wmma::fill_fragment(f, 0.f);
    if (which == 0) {
      mmaNT<T>(f, cs + ti * kTile * lN, lN, bs + tj * kTile * lN, lN, NP);
      wmma::store_matrix_sync(cb + ti * kTile * lF + tj * kTile, f, lF, wmma::mem_row_major);
    } else {
      mmaNT<T>(f, dys + ti * kTile * lP, lP, xs + tj * kTile * lP, lP, PP);
      wmma::store_matrix_sync(dyx + ti * kTile * lF + tj * kTile, f, lF, wmma::mem_row_major);
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < kQ * kQ; i += kGradThreads) {
    const int r = i / kQ, j = i - r * kQ;
    const float L = decayMask(s, r, j);
    m1[r * lQ + j] = fromF<T>(dyx[r * lF + j] * s.dt[j] * L);
    m2[r * lQ + j] = fromF<T>(cb[r * lF + j] * L);
  }
  // Σ_j G_kj (rows) − Σ_i G_ik (columns): thread groups of Q take rows or columns and a slice of the other index.
  {
    constexpr int kSlices = kGradThreads / (2 * kQ);
    static_assert(kSlices >= 1 && kGradThreads % (2 * kQ) == 0, "row/column sums need a multiple of 2·Q threads");
    const int k = threadIdx.x % kQ, group = threadIdx.x / kQ;
    const bool rows = (group & 1) == 0;
    const int o0 = (group >> 1) * (kQ / kSlices);
    float sum = 0.f;
    for (int o = o0; o < o0 + kQ / kSlices; ++o) {
      const int r = rows ? k : o, j = rows ? o : k;
      sum += cb[r * lF + j] * dyx[r * lF + j] * s.dt[j] * decayMask(s, r, j);
    }
    atomicAdd(dAk + k, rows ? sum : -sum);
  }
  __syncthreads();

  const int tilesN = NP / kTile, tilesP = PP / kTile;
  float* st = stage + warp * 3 * kTile * kTile;
  // dC and dB tiles [Q × NP].
  for (int tile = warp; tile < 2 * tilesQ * tilesN; tile += kGradWarps) {
    const bool isC = tile < tilesQ * tilesN;
    const int rest = isC ? tile : tile - tilesQ * tilesN;
    const int ti = rest / tilesN, tn = rest - ti * tilesN;
    FragC intra, state;
    wmma::fill_fragment(intra, 0.f);
    wmma::fill_fragment(state, 0.f);
    if (isC) {
      mmaNN<T>(intra, m1 + ti * kTile * lQ, lQ, bs + tn * kTile, lN, kQ);   // M1·B
      mmaNN<T>(state, dys + ti * kTile * lP, lP, s0 + tn * kTile, lN, PP);  // dy·S0
    } else {
      mmaTN<T>(intra, m1 + ti * kTile, lQ, cs + tn * kTile, lN, kQ);        // M1ᵀ·C
      mmaNN<T>(state, xs + ti * kTile * lP, lP, gs + tn * kTile, lN, PP);   // x·Gc
    }
    stageTiles(st, intra, state);
    for (int e = lane; e < kTile * kTile; e += 32) {
      const int i = ti * kTile + e / kTile, n = tn * kTile + e % kTile;
      const int64_t t = t0 + i;
      if (t < d.T && n < d.N) {
        const float scale = isC ? startWeight(s, i) : endWeight(s, i) * s.dt[i];
        atomicAdd((isC ? acc.dC : acc.dB) + ((b * d.T + t) * d.G + g) * d.N + n,
                  st[e] + scale * st[kTile * kTile + e]);
      }
    }
    __syncwarp();
  }
  // dX tiles [Q × PP], with C·S0ᵀ for ∂/∂A.
  for (int tile = warp; tile < tilesQ * tilesP; tile += kGradWarps) {
    const int ti = tile / tilesP, tp = tile - ti * tilesP;
    FragC intra, toEnd, cS;
    wmma::fill_fragment(intra, 0.f);
    wmma::fill_fragment(toEnd, 0.f);
    wmma::fill_fragment(cS, 0.f);
    mmaTN<T>(intra, m2 + ti * kTile, lQ, dys + tp * kTile, lP, kQ);           // M2ᵀ·dy
    mmaNT<T>(toEnd, bs + ti * kTile * lN, lN, gs + tp * kTile * lN, lN, NP);  // B·Gcᵀ
    mmaNT<T>(cS, cs + ti * kTile * lN, lN, s0 + tp * kTile * lN, lN, NP);     // C·S0ᵀ
    stageTiles(st, intra, toEnd, cS);
    // Each lane owns one row i of the tile and half of its 16 columns; partial row sums go to shared atomics.
    const int r = lane >> 1, half = lane & 1;
    const int i = ti * kTile + r;
    const int64_t t = t0 + i;
    const float w = endWeight(s, i);
    float sxdX = 0.f, syCS = 0.f, sxBG = 0.f;
    if (t < d.T) {
      for (int cc = half * 8; cc < half * 8 + 8; ++cc) {
        const int p = tp * kTile + cc;
        if (p >= d.P) break;
        const int e = r * kTile + cc;
        const int64_t xi = ((b * d.T + t) * d.H + h) * d.P + p;
        const float xv = toF<T>(xs[i * lP + p]), dyv = toF<T>(dys[i * lP + p]);
        const float dX = st[e] + w * st[kTile * kTile + e];
        dx[xi] = fromF<T>(s.dt[i] * dX + (D != nullptr ? D[h] : 0.f) * dyv);
        sxdX += xv * dX;
        syCS += dyv * st[2 * kTile * kTile + e];
        sxBG += xv * st[kTile * kTile + e];
      }
    }
    sxdX += __shfl_xor_sync(0xffffffffu, sxdX, 1);
    syCS += __shfl_xor_sync(0xffffffffu, syCS, 1);
    sxBG += __shfl_xor_sync(0xffffffffu, sxBG, 1);
    if (half == 0) {
      atomicAdd(xdX + i, sxdX);
      atomicAdd(yCS + i, syCS);
      atomicAdd(xBG + i, sxBG);
    }
    __syncwarp();
  }
  __syncthreads();
  // ∂/∂A_k, its reverse cumulative sum da_j, then ddt, dA, dD (warp 0, two tokens per lane).
  if (warp == 0) {
    float hSum = 0.f;
    float dk[2];
#pragma unroll
    for (int k2 = 0; k2 < 2; ++k2) {
      const int k = 2 * lane + k2;
      const float hk = endWeight(s, k) * s.dt[k] * xBG[k];
      hSum += hk;
      dk[k2] = dAk[k] + startWeight(s, k) * yCS[k] - hk;
    }
    hSum = warpSum(hSum);
    if (lane == 31) dk[1] += hSum + (s.run[kQ - 1] == 0 ? expf(s.A[kQ - 1]) : 0.f) * dotSG;
    // Reverse inclusive scan: da_j = Σ_{k ≥ j} dk.
    float tot = dk[0] + dk[1];
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const float v = __shfl_down_sync(0xffffffffu, tot, o);
      if (lane + o < 32) tot += v;
    }
    const float after = tot - (dk[0] + dk[1]);  // Σ over lanes above
    const float da[2] = {after + dk[0] + dk[1], after + dk[1]};
    float dAh = 0.f;
#pragma unroll
    for (int k2 = 0; k2 < 2; ++k2) {
      const int j = 2 * lane + k2;
      const int64_t t = t0 + j;
      if (t < d.T) {
        acc.ddt[(b * d.T + t) * d.H + h] = Ah * da[k2] + xdX[j];
        dAh += s.dt[j] * da[k2];
      }
    }
    dAh = warpSum(dAh);
    if (lane == 0) {
      atomicAdd(acc.dA + h, dAh);
      if (acc.dD != nullptr) atomicAdd(acc.dD + h, dotYX);
    }
  }
}

size_t gradSmem(int64_t P, int64_t N, size_t elem) {
  const int64_t PP = pad16(P), lP = PP + kSkew, lN = pad16(N) + kSkew;
  return sizeof(ChunkScalars) + (2 * kQ * lN + 2 * kQ * lP + 2 * PP * lN + 2 * kQ * lQ) * elem +
         kGradFloats * sizeof(float);
}

__device__ __forceinline__ float4 operator*(float a, float4 v) { return make_float4(a * v.x, a * v.y, a * v.z, a * v.w); }
__device__ __forceinline__ float4 operator+(float4 a, float4 b) {
  return make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
}

/**
 * The sequential pass over chunks, per state element (V = float4: four of them), from `in` to `out` (separate
 * buffers, so the loads of later chunks are not held behind the stores of earlier ones):
 *   out_c = s;  s = decay_c·s + in_c          over c = 0 … nc−1 (forward: start states from the local end states)
 *                                               or c = nc−1 … 0 (reverse: end-state adjoints from the local adjoints)
 * starting from `first` (initialState / dFinalState, or zeros); the value after the pass goes to `last` if given
 * (finalState / dinitialState). Layout [B, nc, H, P·N/V] with decays [B, nc, H].
 */
template <typename V, bool REVERSE>
__global__ void ssdCarryKernel(V* __restrict__ out, const V* __restrict__ in, const float* __restrict__ decay,
                               const V* __restrict__ first, V* __restrict__ last, int64_t B, int64_t nc, int64_t H,
                               int64_t perHead) {
  const int64_t perBatch = H * perHead;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < B * perBatch;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = e / perBatch, r = e - b * perBatch, h = r / perHead;
    V s = first != nullptr ? first[e] : V{};
#pragma unroll 8
    for (int64_t k = 0; k < nc; ++k) {
      const int64_t c = REVERSE ? nc - 1 - k : k;
      const int64_t off = (b * nc + c) * perBatch + r;
      const V loc = in[off];
      const float dc = decay[(b * nc + c) * H + h];
      out[off] = s;
      s = dc * s + loc;
    }
    if (last != nullptr) last[e] = s;
  }
}

template <bool REVERSE>
void carry(Ctx& ctx, float* out, const float* in, const float* decay, const float* first, float* last,
           const SsdDims& d, int64_t nc, const char* what) {
  const int64_t pn = d.P * d.N;
  const bool vec = pn % 4 == 0;
  const int64_t elems = d.B * d.H * (vec ? pn / 4 : pn);
  const unsigned grid = gridFor(elems, 128, ctx);
  if (vec)
    ssdCarryKernel<float4, REVERSE><<<grid, 128, 0, ctx.stream>>>(
        reinterpret_cast<float4*>(out), reinterpret_cast<const float4*>(in), decay,
        reinterpret_cast<const float4*>(first), reinterpret_cast<float4*>(last), d.B, nc, d.H, pn / 4);
  else
    ssdCarryKernel<float, REVERSE><<<grid, 128, 0, ctx.stream>>>(out, in, decay, first, last, d.B, nc, d.H, pn);
  checkLaunch(what);
}

/** Raises the kernel's dynamic shared-memory limit (above 48 KB needs an explicit opt-in). */
template <typename K>
void allowSmem(K kernel, size_t bytes, const char* what) {
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
  if (e != cudaSuccess) throw Error(std::string(what) + ": cudaFuncSetAttribute: " + cudaGetErrorString(e));
}

dim3 chunkGrid(const SsdDims& d, int64_t nc) {
  if (d.H > 65535 || d.B > 65535) throw Error("SsmScan: batch or head count above 65535");
  return dim3(static_cast<unsigned>(nc), static_cast<unsigned>(d.H), static_cast<unsigned>(d.B));
}

/**
 * Chunk-local states (into `local`) and decays, then the carry: chunk start states [B, nc, H, P, N] into `start`,
 * finalState if given.
 */
template <typename T>
void chunkStartStates(Ctx& ctx, float* start, float* local, float* decay, float* finalState, const T* x,
                      const float* dt, const float* A, const T* Bm, const float* init, const int32_t* seq,
                      const SsdDims& d, int64_t nc) {
  const size_t smem = stateSmem(d.P, d.N, sizeof(T));
  allowSmem(ssdChunkStateKernel<T, 0>, smem, "SsmScan (SSD chunk states)");
  ssdChunkStateKernel<T, 0>
      <<<chunkGrid(d, nc), kThreads, smem, ctx.stream>>>(local, decay, x, Bm, dt, A, seq, d);
  checkLaunch("SsmScan (SSD chunk states)");
  carry<false>(ctx, start, local, decay, init, finalState, d, nc, "SsmScan (SSD chunk carry)");
}

/** f(T{}) with T the storage type of a 16-bit float dtype. */
template <typename F>
void with16BitType(int dtype, const char* what, F f) {
  if (dtype == BF16)
    f(__nv_bfloat16{});
  else if (dtype == F16)
    f(__half{});
  else
    throw Error(std::string(what) + ": f16/bf16 only");
}

}  // namespace

bool ssdTcSupported(const Ctx& ctx, int dtype, int64_t B, int64_t H, int64_t P, int64_t N) {
  if (dtype != F16 && dtype != BF16) return false;
  if (B > 65535 || H > 65535 || P < 1 || N < 1 || P > 256 || N > 256) return false;
  const size_t limit = ctx.maxSharedPerBlockOptin - 256;  // the gradient kernel's static reduction scratch
  return gradSmem(P, N, 2) <= limit && outputSmem(P, N, 2) <= limit && stateSmem(P, N, 2) <= limit;
}

void launchSsdForwardTc(Ctx& ctx, int dtype, int yDtype, void* y, float* finalState, const void* x,
                        const float* dt, const float* A, const void* Bm, const void* Cm, const float* D,
                        const float* initialState, const int32_t* seqIdx, const SsdDims& d) {
  const int64_t nc = (d.T + kQ - 1) / kQ;
  const int64_t states = d.B * nc * d.H * d.P * d.N;
  Scratch local(*ctx.alloc, states * sizeof(float));
  Scratch start(*ctx.alloc, states * sizeof(float));
  Scratch decay(*ctx.alloc, d.B * nc * d.H * sizeof(float));
  auto run = [&](auto tag) {
    using T = decltype(tag);
    chunkStartStates<T>(ctx, start.as<float>(), local.as<float>(), decay.as<float>(), finalState,
                        static_cast<const T*>(x), dt, A, static_cast<const T*>(Bm), initialState, seqIdx, d, nc);
    const size_t smem = outputSmem(d.P, d.N, sizeof(T));
    withScanOutputType<T>(yDtype, [&](auto yTag) {
      using Y = decltype(yTag);
      allowSmem(ssdOutputKernel<T, Y>, smem, "SsmScan (SSD output)");
      ssdOutputKernel<T, Y><<<chunkGrid(d, nc), kThreads, smem, ctx.stream>>>(
          static_cast<Y*>(y), start.as<float>(), static_cast<const T*>(x), dt, A, static_cast<const T*>(Bm),
          static_cast<const T*>(Cm), D, seqIdx, d);
    });
    checkLaunch("SsmScan (SSD output)");
  };
  with16BitType(dtype, "SsmScan (SSD tensor cores)", run);
}

void launchSsdBackwardTc(Ctx& ctx, int dtype, int yDtype, void* dx, const SsdGradAcc& acc, float* dinitialState,
                         const void* dy, const float* dFinalState, const void* x, const float* dt, const float* A,
                         const void* Bm, const void* Cm, const float* D, const float* initialState,
                         const int32_t* seqIdx, const SsdDims& d) {
  const int64_t nc = (d.T + kQ - 1) / kQ;
  const int64_t states = d.B * nc * d.H * d.P * d.N;
  Scratch start(*ctx.alloc, states * sizeof(float));
  Scratch local(*ctx.alloc, states * sizeof(float));  // chunk-local states, then chunk-local adjoints
  Scratch adj(*ctx.alloc, states * sizeof(float));
  Scratch decay(*ctx.alloc, d.B * nc * d.H * sizeof(float));
  auto run = [&](auto tag) {
    using T = decltype(tag);
    chunkStartStates<T>(ctx, start.as<float>(), local.as<float>(), decay.as<float>(), nullptr,
                        static_cast<const T*>(x), dt, A, static_cast<const T*>(Bm), initialState, seqIdx, d, nc);
    withScanOutputType<T>(yDtype, [&](auto yTag) {
      using Y = decltype(yTag);  // dy's storage type: y's
      const size_t smemAdj = stateSmem(d.P, d.N, sizeof(T));
      allowSmem(ssdChunkStateKernel<T, 1, Y>, smemAdj, "SsmScanGrad (SSD chunk adjoints)");
      ssdChunkStateKernel<T, 1, Y><<<chunkGrid(d, nc), kThreads, smemAdj, ctx.stream>>>(
          local.as<float>(), nullptr, static_cast<const Y*>(dy), static_cast<const T*>(Cm), dt, A, seqIdx, d);
      checkLaunch("SsmScanGrad (SSD chunk adjoints)");
      carry<true>(ctx, adj.as<float>(), local.as<float>(), decay.as<float>(), dFinalState, dinitialState, d, nc,
                  "SsmScanGrad (SSD adjoint carry)");
      const size_t smem = gradSmem(d.P, d.N, sizeof(T));
      allowSmem(ssdGradKernel<T, Y>, smem, "SsmScanGrad (SSD chunk gradients)");
      ssdGradKernel<T, Y><<<chunkGrid(d, nc), kGradThreads, smem, ctx.stream>>>(
          static_cast<T*>(dx), acc, start.as<float>(), adj.as<float>(), static_cast<const Y*>(dy),
          static_cast<const T*>(x), dt, A, static_cast<const T*>(Bm), static_cast<const T*>(Cm), D, seqIdx, d);
      checkLaunch("SsmScanGrad (SSD chunk gradients)");
    });
  };
  with16BitType(dtype, "SsmScanGrad (SSD tensor cores)", run);
}

}  // namespace fh
