/*
 * mat_mul.cu — batched matrix product.
 *
 * cuBLASLt path: cuBLASLt is column-major, so the row-major product C = op(A)·op(B) is computed as
 * Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLASLt's "A" is our B and its "B" is our A, m = N, n = M. Compute type CUBLAS_COMPUTE_32F
 * with f32 scale (TF32 only when opted in, createCudaBackend({ tf32 }): f32 results must be f32-exact by default),
 * A/B/C/D of the storage type (f32, f16, bf16); one strided-batched call per outer batch. A plan (descriptors +
 * heuristic algorithm) is cached per shape, dtype, strides, alignment and TF32 mode. When the heuristic offers
 * nothing, and for i32, the fallback kernel below runs.
 *
 * FALCON_H1_CUDA_GEMM=fallback forces the fallback everywhere (how the suite certifies it on a GPU host).
 *
 * Fallback: a 32×32-tile shared-memory GEMM, 256 threads, 4 outputs per thread, f32 accumulation (i64 for i32).
 */
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>

#include "common.cuh"
#include "mat_mul.cuh"
#include "mat_vec.cuh"
#include "skinny_gemm.cuh"

#if !defined(FH_NO_CUBLASLT) && defined(__has_include)
#if __has_include(<cublasLt.h>)
#define FH_HAVE_CUBLASLT 1
#include <cublasLt.h>
#endif
#endif
#ifndef FH_HAVE_CUBLASLT
#define FH_HAVE_CUBLASLT 0
#endif

namespace fh {

namespace {

constexpr int kTile = 32;

template <typename T>
struct GemmAcc {
  using type = float;
};
template <>
struct GemmAcc<int32_t> {
  using type = int64_t;
};
template <typename T, typename A>
__device__ __forceinline__ A gemmLoad(T v) {
  return toF<T>(v);
}
template <>
__device__ __forceinline__ int64_t gemmLoad<int32_t, int64_t>(int32_t v) {
  return v;
}
template <typename T, typename A>
__device__ __forceinline__ T gemmStore(A v) {
  return fromF<T>(v);
}
template <>
__device__ __forceinline__ int32_t gemmStore<int32_t, int64_t>(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

template <typename T>
__global__ void gemmFallbackKernel(T* __restrict__ C, const T* __restrict__ A, const T* __restrict__ B, int64_t M,
                                   int64_t N, int64_t K, bool ta, bool tb, int64_t sA, int64_t sB, int64_t sC,
                                   int64_t batchBase) {
  using Acc = typename GemmAcc<T>::type;
  __shared__ Acc As[kTile][kTile + 1];  // As[k][m]
  __shared__ Acc Bs[kTile][kTile + 1];  // Bs[k][n]
  const int64_t z = batchBase + blockIdx.z;
  A += z * sA;
  B += z * sB;
  C += z * sC;
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;  // 32 × 8
  const int64_t m0 = int64_t(blockIdx.y) * kTile, n0 = int64_t(blockIdx.x) * kTile;
  Acc acc[4] = {0, 0, 0, 0};
  for (int64_t k0 = 0; k0 < K; k0 += kTile) {
    for (int r = ty; r < kTile; r += 8) {
      // A tile: element (m0 + i, k0 + kk) stored at As[kk][i]; coalesced along the contiguous axis.
      {
        int64_t m, k;
        if (ta) {  // A is [K, M]: contiguous along m
          k = k0 + r;
          m = m0 + tx;
          As[r][tx] = (m < M && k < K) ? gemmLoad<T, Acc>(A[k * M + m]) : Acc(0);
        } else {  // A is [M, K]: contiguous along k
          m = m0 + r;
          k = k0 + tx;
          As[tx][r] = (m < M && k < K) ? gemmLoad<T, Acc>(A[m * K + k]) : Acc(0);
        }
      }
      {
        int64_t k, n;
        if (tb) {  // B is [N, K]: contiguous along k
          n = n0 + r;
          k = k0 + tx;
          Bs[tx][r] = (n < N && k < K) ? gemmLoad<T, Acc>(B[n * K + k]) : Acc(0);
        } else {  // B is [K, N]: contiguous along n
          k = k0 + r;
          n = n0 + tx;
          Bs[r][tx] = (n < N && k < K) ? gemmLoad<T, Acc>(B[k * N + n]) : Acc(0);
        }
      }
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kTile; ++kk) {
      Acc bv = Bs[kk][tx];
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[j] += As[kk][ty + 8 * j] * bv;
    }
    __syncthreads();
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    int64_t m = m0 + ty + 8 * j, n = n0 + tx;
    if (m < M && n < N) C[m * N + n] = gemmStore<T, Acc>(acc[j]);
  }
}

void fallbackGemm(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                  const int64_t* outerB, int64_t outerCount) {
  const size_t es = dtypeSize(g.dtype);
  dim3 block(256);
  for (int64_t o = 0; o < outerCount; ++o) {
    char* c = static_cast<char*>(out) + o * g.batch * g.M * g.N * es;
    const char* pa = static_cast<const char*>(a) + outerA[o] * es;
    const char* pb = static_cast<const char*>(b) + outerB[o] * es;
    for (int64_t z0 = 0; z0 < g.batch; z0 += 65535) {
      int64_t zc = g.batch - z0 < 65535 ? g.batch - z0 : 65535;
      dim3 grid(static_cast<unsigned>((g.N + kTile - 1) / kTile), static_cast<unsigned>((g.M + kTile - 1) / kTile),
                static_cast<unsigned>(zc));
      FH_DISPATCH_NUMERIC(g.dtype, "MatMul",
                          gemmFallbackKernel<T><<<grid, block, 0, ctx.stream>>>(
                              reinterpret_cast<T*>(c), reinterpret_cast<const T*>(pa), reinterpret_cast<const T*>(pb),
                              g.M, g.N, g.K, g.transA, g.transB, g.strideA, g.strideB, g.strideC, z0));
      checkLaunch("MatMul (fallback GEMM)");
    }
  }
}

struct Counts {
  int64_t lt = 0, fallback = 0, matVec = 0, skinny = 0;
};

/** FALCON_H1_CUDA_GEMM=fallback routes every MatMul to the fallback kernel (to certify it on a GPU host). */
bool forcedFallback() {
  static const bool forced = [] {
    const char* v = std::getenv("FALCON_H1_CUDA_GEMM");
    return v != nullptr && std::string(v) == "fallback";
  }();
  return forced;
}

#if FH_HAVE_CUBLASLT
void checkBlas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw Error(std::string(what) + ": " + cublasLtGetStatusName(s) + " (" + cublasLtGetStatusString(s) + ")");
  }
}
#define FH_BLAS(call) checkBlas((call), #call)

struct Plan {
  bool usable = false;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
};

struct GemmCache {
  std::map<std::string, Plan> plans;
  Counts counts;
  ~GemmCache() {
    for (auto& entry : plans) {
      Plan& p = entry.second;
      if (p.la) cublasLtMatrixLayoutDestroy(p.la);
      if (p.lb) cublasLtMatrixLayoutDestroy(p.lb);
      if (p.lc) cublasLtMatrixLayoutDestroy(p.lc);
      if (p.op) cublasLtMatmulDescDestroy(p.op);
    }
  }
};

cudaDataType_t cudaTypeOf(int dtype) {
  switch (dtype) {
    case F32:
      return CUDA_R_32F;
    case F16:
      return CUDA_R_16F;
    default:
      return CUDA_R_16BF;
  }
}

uint32_t alignmentOf(uint64_t v) {
  uint32_t a = 256;
  while (a > 1 && (v % a) != 0) a >>= 1;
  return a;
}

cublasLtMatrixLayout_t makeLayout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                                  int64_t stride) {
  cublasLtMatrixLayout_t layout = nullptr;
  FH_BLAS(cublasLtMatrixLayoutCreate(&layout, type, static_cast<uint64_t>(rows), static_cast<uint64_t>(cols), ld));
  if (batch > 1) {
    int32_t count = static_cast<int32_t>(batch);
    FH_BLAS(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
    FH_BLAS(
        cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  }
  return layout;
}

Plan& planFor(Ctx& ctx, GemmCache& cache, const GemmArgs& g, uint32_t alignX, uint32_t alignY, uint32_t alignC) {
  const std::string key = std::to_string(g.dtype) + ":" + std::to_string(g.transA) + std::to_string(g.transB) + ":" +
                          std::to_string(g.M) + "," + std::to_string(g.N) + "," + std::to_string(g.K) + ":" +
                          std::to_string(g.batch) + "," + std::to_string(g.strideA) + "," +
                          std::to_string(g.strideB) + "," + std::to_string(g.strideC) + ":" + std::to_string(alignX) +
                          "," + std::to_string(alignY) + "," + std::to_string(alignC) + (ctx.tf32 ? ":tf32" : "");
  auto found = cache.plans.find(key);
  if (found != cache.plans.end()) return found->second;
  Plan& p = cache.plans[key];
  const cudaDataType_t type = cudaTypeOf(g.dtype);
  // f32 products on TF32 tensor cores only when the backend was created with tf32 (opt-in; never for 16-bit).
  const cublasComputeType_t compute =
      ctx.tf32 && g.dtype == F32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  FH_BLAS(cublasLtMatmulDescCreate(&p.op, compute, CUDA_R_32F));
  // cuBLASLt "A" = our B (column-major N×K, or K×N transposed), cuBLASLt "B" = our A.
  cublasOperation_t opX = g.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opY = g.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  FH_BLAS(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &opX, sizeof(opX)));
  FH_BLAS(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &opY, sizeof(opY)));
  const int64_t xRows = g.transB ? g.K : g.N, xCols = g.transB ? g.N : g.K;
  const int64_t yRows = g.transA ? g.M : g.K, yCols = g.transA ? g.K : g.M;
  p.la = makeLayout(type, xRows, xCols, xRows, g.batch, g.strideB);
  p.lb = makeLayout(type, yRows, yCols, yRows, g.batch, g.strideA);
  p.lc = makeLayout(type, g.N, g.M, g.N, g.batch, g.strideC);
  cublasLtMatmulPreference_t pref = nullptr;
  FH_BLAS(cublasLtMatmulPreferenceCreate(&pref));
  uint64_t ws = ctx.blasWorkspaceBytes;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alignX, sizeof(alignX));
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alignY, sizeof(alignY));
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alignC, sizeof(alignC));
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alignC, sizeof(alignC));
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(static_cast<cublasLtHandle_t>(ctx.blasLt), p.op, p.la, p.lb,
                                                    p.lc, p.lc, pref, 1, &result, &returned);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s == CUBLAS_STATUS_SUCCESS && returned > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
    p.usable = true;
    p.algo = result.algo;
    p.workspace = result.workspaceSize;
  } else if (s != CUBLAS_STATUS_SUCCESS && s != CUBLAS_STATUS_NOT_SUPPORTED && s != CUBLAS_STATUS_INVALID_VALUE) {
    checkBlas(s, "cublasLtMatmulAlgoGetHeuristic");
  }
  return p;
}
#else
struct GemmCache {
  Counts counts;
};
#endif

GemmCache& cacheOf(Ctx& ctx) {
  if (ctx.gemmCache == nullptr) ctx.gemmCache = new GemmCache();
  return *static_cast<GemmCache*>(ctx.gemmCache);
}

}  // namespace

void matmulInit(Ctx& ctx) {
#if FH_HAVE_CUBLASLT
  cublasLtHandle_t handle = nullptr;
  FH_BLAS(cublasLtCreate(&handle));
  ctx.blasLt = handle;
  ctx.blasWorkspaceBytes = size_t(32) << 20;
  FH_CHECK(cudaMalloc(&ctx.blasWorkspace, ctx.blasWorkspaceBytes));
#endif
  cacheOf(ctx);
}

void matmulDestroy(Ctx& ctx) {
  delete static_cast<GemmCache*>(ctx.gemmCache);
  ctx.gemmCache = nullptr;
#if FH_HAVE_CUBLASLT
  if (ctx.blasWorkspace) cudaFree(ctx.blasWorkspace);
  ctx.blasWorkspace = nullptr;
  if (ctx.blasLt) cublasLtDestroy(static_cast<cublasLtHandle_t>(ctx.blasLt));
  ctx.blasLt = nullptr;
#endif
}

const char* matmulEngine() {
#if FH_HAVE_CUBLASLT
  static std::string name = "cuBLASLt " + std::to_string(cublasLtGetVersion());
  return name.c_str();
#else
  return "fallback GEMM (built without cuBLASLt)";
#endif
}

void matmulCounts(const Ctx& ctx, int64_t* lt, int64_t* fallback, int64_t* matVec, int64_t* skinny) {
  const GemmCache* cache = static_cast<const GemmCache*>(ctx.gemmCache);
  *lt = cache ? cache->counts.lt : 0;
  *fallback = cache ? cache->counts.fallback : 0;
  *matVec = cache ? cache->counts.matVec : 0;
  *skinny = cache ? cache->counts.skinny : 0;
}

void launchMatMul(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                  const int64_t* outerB, int64_t outerCount) {
  const size_t es = dtypeSize(g.dtype);
  if (g.M == 0 || g.N == 0 || g.batch == 0 || outerCount == 0) return;
  GemmCache& cache = cacheOf(ctx);
  if (g.K == 0) {
    FH_CHECK(cudaMemsetAsync(out, 0, outerCount * g.batch * g.M * g.N * es, ctx.stream));
    return;
  }
  // A decode step's few rows times a Linear weight: the bandwidth-bound kernel of mat_vec.cu.
  if (!forcedFallback() && tryLaunchMatVec(ctx, g, out, a, b, outerA, outerB, outerCount)) {
    cache.counts.matVec++;
    return;
  }
  // 9–64 tokens times a 16-bit Linear weight: the tensor-core kernel of skinny_gemm.cu.
  if (!forcedFallback() && tryLaunchSkinnyGemm(ctx, g, out, a, b, outerA, outerB, outerCount)) {
    cache.counts.skinny++;
    return;
  }
#if FH_HAVE_CUBLASLT
  if ((g.dtype == F32 || g.dtype == F16 || g.dtype == BF16) && !forcedFallback()) {
    // Alignment that holds for every matrix of every outer batch (base pointers, batch strides, leading dims).
    uint64_t gx = reinterpret_cast<uint64_t>(b), gy = reinterpret_cast<uint64_t>(a);
    uint64_t gc = reinterpret_cast<uint64_t>(out);
    for (int64_t o = 0; o < outerCount; ++o) {
      gx |= static_cast<uint64_t>(outerB[o]) * es;
      gy |= static_cast<uint64_t>(outerA[o]) * es;
      gc |= static_cast<uint64_t>(o * g.batch * g.M * g.N) * es;
    }
    if (g.batch > 1) {
      gx |= static_cast<uint64_t>(g.strideB) * es;
      gy |= static_cast<uint64_t>(g.strideA) * es;
      gc |= static_cast<uint64_t>(g.strideC) * es;
    }
    gx |= static_cast<uint64_t>(g.transB ? g.K : g.N) * es;
    gy |= static_cast<uint64_t>(g.transA ? g.M : g.K) * es;
    gc |= static_cast<uint64_t>(g.N) * es;
    Plan& p = planFor(ctx, cache, g, alignmentOf(gx), alignmentOf(gy), alignmentOf(gc));
    if (p.usable) {
      const float alpha = 1.f, beta = 0.f;
      for (int64_t o = 0; o < outerCount; ++o) {
        char* c = static_cast<char*>(out) + o * g.batch * g.M * g.N * es;
        const char* pa = static_cast<const char*>(a) + outerA[o] * es;
        const char* pb = static_cast<const char*>(b) + outerB[o] * es;
        FH_BLAS(cublasLtMatmul(static_cast<cublasLtHandle_t>(ctx.blasLt), p.op, &alpha, pb, p.la, pa, p.lb, &beta, c,
                               p.lc, c, p.lc, &p.algo, ctx.blasWorkspace, p.workspace, ctx.stream));
      }
      cache.counts.lt++;
      return;
    }
  }
#endif
  cache.counts.fallback++;
  fallbackGemm(ctx, g, out, a, b, outerA, outerB, outerCount);
}

}  // namespace fh
