/*
 * mat_vec.cu — the decode-step form of MatMul: a few rows of activations times a Linear weight,
 * C[M, N] = A[M, K] · B[N, K]ᵀ with M ≤ 8 (a decode step's tokens), where reading B once is all the work.
 *
 * Why not cuBLASLt: at M = 1 its heuristic picks GEMV-like kernels that reach a fraction of the copy bandwidth on
 * the 2–14 MB weights of a 0.5B layer (and some split K into a second reduction kernel). A decode step is a chain of
 * such products, so each one should stream its weight at the card's bandwidth and be one launch.
 *
 * One warp per output column n (a row of B), four warps per block: each lane loads 16 bytes of B's row per chunk (8
 * bf16/f16 or 4 f32 values, up to eight chunks in flight per lane: a whole 2048-wide bf16 row), multiplies them with the same 16 bytes of every A row (A is a few KB:
 * L1/L2-resident), accumulates in f32, and the warp reduces with shuffles. Every C value is one f32 sum rounded once
 * to the storage dtype, as cuBLASLt's f32-accumulating path rounds it (summation order differs: ≤ 1e-6 relative).
 *
 * Taken when: dtype f32/f16/bf16, A not transposed, B transposed ([N, K] rows, a Linear weight), one matrix (no
 * batch, one outer batch), K·size and every base pointer 16-byte aligned, M ≤ 8. Anything else goes to cuBLASLt.
 * FALCON_H1_CUDA_GEMV=off routes everything to cuBLASLt (A/B runs; the suite certifies both paths).
 *
 * Programmatic Dependent Launch (pdl_launch.cuh): on sm_90 the kernel is launched while its predecessor still runs.
 * When the predecessor does not write B (ctx.lastWrites says so; a Linear weight never is written by the step's
 * previous kernel), each lane issues its first kUnroll loads of B — a whole row for the model's shapes — BEFORE the
 * PDL wait, so the weight streams during the predecessor's tail; A is read only after the wait. Otherwise it waits
 * first. Either way each value is the same f32 sum of the same products.
 */

#include "common.cuh"
#include "decode_gemm.cuh"
#include "mat_vec.cuh"
#include "pdl_launch.cuh"

namespace fh {

namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kMaxRows = 8;
constexpr int kUnroll = 8;

/** 16 bytes of T as f32 values (4 for f32, 8 for 16-bit types). */
template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
  static constexpr int kCount = 4;
  static __device__ __forceinline__ void unpack(const uint4& v, float* out) {
    out[0] = __uint_as_float(v.x);
    out[1] = __uint_as_float(v.y);
    out[2] = __uint_as_float(v.z);
    out[3] = __uint_as_float(v.w);
  }
};
template <>
struct Vec16<__nv_bfloat16> {
  static constexpr int kCount = 8;
  static __device__ __forceinline__ void unpack(const uint4& v, float* out) {
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      // bf16 is the high half of an f32: widening is a shift.
      out[2 * i] = __uint_as_float(words[i] << 16);
      out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
    }
  }
};
template <>
struct Vec16<__half> {
  static constexpr int kCount = 8;
  static __device__ __forceinline__ void unpack(const uint4& v, float* out) {
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 f = __half22float2(*reinterpret_cast<const __half2*>(&words[i]));
      out[2 * i] = f.x;
      out[2 * i + 1] = f.y;
    }
  }
};

/** Chunks base, base + 32, ... (kUnroll of them) of a row of B; those past the row's end are zero. */
__device__ __forceinline__ void loadChunks(uint4 (&w)[kUnroll], const uint4* row, int64_t base, int64_t chunks) {
#pragma unroll
  for (int u = 0; u < kUnroll; ++u) {
    const int64_t idx = base + 32 * u;
    w[u] = idx < chunks ? loadStreaming16(row + idx) : make_uint4(0u, 0u, 0u, 0u);
  }
}

/**
 * The dot products of P rows of B with R rows of A (16-byte chunks, global or shared memory): each lane's chunks of
 * each B row — kUnroll loads in flight per row, the first batch already in w when `prefetched` — times the same
 * chunks of every A row, f32 sums reduced over the warp (every lane ends with every sum). One B row's sums do not
 * depend on P: the same operations in the same order, hence the same bits for the same A.
 */
template <typename T, int R, int P>
__device__ __forceinline__ void warpDots(float (&acc)[P][R], const uint4* a, const uint4* const (&rows)[P],
                                         uint4 (&w)[P][kUnroll], bool prefetched, int64_t chunks) {
  using V = Vec16<T>;
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int p = 0; p < P; ++p)
#pragma unroll
    for (int r = 0; r < R; ++r) acc[p][r] = 0.f;
  for (int64_t base = lane; base < chunks; base += 32 * kUnroll) {
    if (!prefetched || base != lane) {
#pragma unroll
      for (int p = 0; p < P; ++p) loadChunks(w[p], rows[p], base, chunks);
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t idx = base + 32 * u;
      if (idx < chunks) {
#pragma unroll
        for (int p = 0; p < P; ++p) {
          float wf[V::kCount];
          V::unpack(w[p][u], wf);
#pragma unroll
          for (int r = 0; r < R; ++r) {
            float af[V::kCount];
            V::unpack(a[r * chunks + idx], af);
#pragma unroll
            for (int e = 0; e < V::kCount; ++e) acc[p][r] = fmaf(wf[e], af[e], acc[p][r]);
          }
        }
      }
    }
  }
#pragma unroll
  for (int p = 0; p < P; ++p)
#pragma unroll
    for (int r = 0; r < R; ++r) {
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) acc[p][r] += __shfl_xor_sync(0xffffffffu, acc[p][r], offset);
    }
}

/**
 * Column n of C = A·Bᵀ for R rows of A (warpDots with one B row), one rounding per C value. The plain and the
 * prologue kernels end with it (the same order of operations, hence the same bits for the same A).
 */
template <typename T, int R>
__device__ __forceinline__ void columnProduct(T* __restrict__ C, const uint4* a, const uint4* row,
                                              uint4 (&w)[1][kUnroll], bool prefetched, int64_t n, int64_t N,
                                              int64_t chunks) {
  float acc[1][R];
  const uint4* const rows[1] = {row};
  warpDots<T, R, 1>(acc, a, rows, w, prefetched, chunks);
  if ((threadIdx.x & 31) != 0) return;
#pragma unroll
  for (int r = 0; r < R; ++r) C[r * N + n] = fromF<T>(acc[0][r]);
}

/** prefetch: B's first chunks may be loaded before the PDL wait (the predecessor does not write B). */
template <typename T, int R>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    matVecKernel(T* __restrict__ C, const T* __restrict__ A, const T* __restrict__ B, int64_t N, int64_t K,
                 bool prefetch) {
  using V = Vec16<T>;
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (n >= N) return;  // no row: this warp reads and writes nothing
  const int64_t chunks = K / V::kCount;  // 16-byte chunks per row
  const uint4* row = reinterpret_cast<const uint4*>(B + n * K);
  const uint4* a = reinterpret_cast<const uint4*>(A);
  // Up to kUnroll independent 16-byte loads of B in flight per lane (all of a 1024–2048-wide row at once for the
  // model's shapes), then their products; chunks past the row's end are predicated off. With `prefetch` the first
  // batch is issued before the wait (pdl_launch.cuh's invariant: only the predecessor may still run, and it does not
  // write B), the loop then finds it loaded.
  uint4 w[1][kUnroll];
  if (prefetch) loadChunks(w[0], row, lane, chunks);
  pdl::waitForPredecessor();
  pdl::allowDependents();
  columnProduct<T, R>(C, a, row, w, prefetch, n, N, chunks);
}

template <typename T, int R>
void launchRows(Ctx& ctx, void* out, const void* a, const void* b, int64_t N, int64_t K, bool prefetch) {
  const unsigned blocks = static_cast<unsigned>((N + kWarpsPerBlock - 1) / kWarpsPerBlock);
  launchPdl(ctx, "MatMul (matrix-vector)", matVecKernel<T, R>, dim3(blocks), dim3(kWarpsPerBlock * 32), 0,
            static_cast<T*>(out), static_cast<const T*>(a), static_cast<const T*>(b), N, K, prefetch);
}

/**
 * launchRows<T, M> for the call's M (1 ≤ M ≤ kMaxRows): the row count is a template argument so the accumulators
 * stay in registers.
 */
template <typename T, int R = 1>
void launchTyped(Ctx& ctx, int64_t M, void* out, const void* a, const void* b, int64_t N, int64_t K,
                 bool prefetch) {
  if constexpr (R < kMaxRows) {
    if (M != R) return launchTyped<T, R + 1>(ctx, M, out, a, b, N, K, prefetch);
  }
  launchRows<T, R>(ctx, out, a, b, N, K, prefetch);
}


// ---------------------------------------------------------------------------------------- fused prologues
/** 256 threads: add_rms_norm.cu's block size, so Σ sum² reduces in its order (the same rstd bits). */
constexpr int kPrologueWarps = 8;
/** AddRmsNorm's rows in registers up to this many values per thread (D ≤ 1024), else through shared memory. */
constexpr int kNormInRegisters = 4;
/** A's rows (and AddRmsNorm's f32 row) within the default 48 KB of shared memory: no opt-in attribute. */
constexpr size_t kPrologueSharedMax = 48 * 1024;

/**
 * matVecKernel with A computed by the block into shared memory first (mat_vec.cuh's MatVecPrologue): every block
 * recomputes the M·K values (a few KB read from L2) instead of a separate launch storing them. Each value is the
 * separate kernel's, to the bit: AddRmsNorm — sum = round(x + residual) (block 0 stores it), Σ sum² by thread
 * t over channels t, t + 256, ... then blockSum, normed = round(w · round(sum · rstd)); SwiGluPacked —
 * round(up · silu(gate · m)). Then each warp's column is the same f32 sum in the same order as matVecKernel's.
 * kGlu (with kAddRmsNorm: AddRmsNormSwiGluMlp's first half): B is a packed [gate; up] weight [2N, K] and C the
 * activation [M, N]; warp n sums gate row n and up row N + n (each exactly as the plain product would), rounds
 * both to the dtype and stores round(up · silu(gate · m)) — the bits of AddRmsNormMatMul then SwiGluPacked.
 */
template <typename T, int R, MatVecPrologue kP, bool kGlu = false>
__global__ void __launch_bounds__(kPrologueWarps * 32)
    matVecPrologueKernel(T* __restrict__ C, const T* __restrict__ B, int64_t N, int64_t K, bool prefetch,
                         MatVecPrologueArgs p) {
  static_assert(!kGlu || kP == MatVecPrologue::kAddRmsNorm, "the SwiGLU epilogue follows the norm prologue");
  constexpr int P = kGlu ? 2 : 1;  // B rows per warp
  using V = Vec16<T>;
  extern __shared__ __align__(16) unsigned char smRaw[];
  T* sA = reinterpret_cast<T*>(smRaw);                 // [R][K]: the product's A rows
  float* rowF = reinterpret_cast<float*>(sA + R * K);  // [K]: AddRmsNorm's stored sum of one row, as f32
  __shared__ float scratch[32];
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * kPrologueWarps + (threadIdx.x >> 5);
  const bool hasColumn = n < N;  // (no early return before the prologue's barriers)
  const int64_t chunks = K / V::kCount;
  const int64_t column = hasColumn ? n : 0;
  const uint4* rows[P];
#pragma unroll
  for (int q = 0; q < P; ++q) rows[q] = reinterpret_cast<const uint4*>(B + (q * N + column) * K);
  uint4 w[P][kUnroll];
  if (prefetch && hasColumn) {
#pragma unroll
    for (int q = 0; q < P; ++q) loadChunks(w[q], rows[q], lane, chunks);
  }
  pdl::waitForPredecessor();
  pdl::allowDependents();
  if constexpr (kP == MatVecPrologue::kSwiGluPacked) {
    const T* gateUp = static_cast<const T*>(p.input);
    // Unrolled so that a thread's loads are in flight together (one round trip, not one per value).
#pragma unroll 8
    for (int64_t i = threadIdx.x; i < R * K; i += blockDim.x) {
      const int64_t r = i / K, c = i - r * K;
      const T* g = gateUp + r * 2 * K;
      sA[i] = fromF<T>(toF<T>(g[K + c]) * siluF(toF<T>(g[c]) * p.gateMultiplier));
    }
  } else if (K <= kNormInRegisters * kPrologueWarps * 32) {
    // The rows' sums in registers (channels t, t + 256, ... of each row, in that order: add_rms_norm.cu's order for
    // Σ sum²), every row's partial reduced with one barrier: two barriers in all instead of four per row.
    const T* x = static_cast<const T*>(p.input);
    const T* residual = static_cast<const T*>(p.residual);
    const T* weight = static_cast<const T*>(p.normWeight);
    T* sum = static_cast<T*>(p.sum);
    __shared__ float warpTotals[R][kPrologueWarps];
    float v[R][kNormInRegisters], ss[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      ss[r] = 0.f;
#pragma unroll
      for (int u = 0; u < kNormInRegisters; ++u) {
        const int64_t i = threadIdx.x + int64_t(u) * kPrologueWarps * 32;
        v[r][u] = i < K ? toF<T>(fromF<T>(toF<T>(x[r * K + i]) + toF<T>(residual[r * K + i]))) : 0.f;
      }
#pragma unroll
      for (int u = 0; u < kNormInRegisters; ++u) {
        const int64_t i = threadIdx.x + int64_t(u) * kPrologueWarps * 32;
        if (i < K) {
          ss[r] += v[r][u] * v[r][u];
          if (blockIdx.x == 0) sum[r * K + i] = fromF<T>(v[r][u]);
        }
      }
      ss[r] = warpSum(ss[r]);
      if (lane == 0) warpTotals[r][threadIdx.x >> 5] = ss[r];
    }
    __syncthreads();
#pragma unroll
    for (int r = 0; r < R; ++r) {
      // blockSum's second stage: lanes over the warps' totals, then a warp sum (the same bits).
      const float total = warpSum(lane < kPrologueWarps ? warpTotals[r][lane] : 0.f);
      const float rstd = 1.f / sqrtf(total / static_cast<float>(K) + p.eps);
#pragma unroll
      for (int u = 0; u < kNormInRegisters; ++u) {
        const int64_t i = threadIdx.x + int64_t(u) * kPrologueWarps * 32;
        if (i < K) sA[r * K + i] = fromF<T>(toF<T>(weight[i]) * roundTo<T>(v[r][u] * rstd));
      }
    }
  } else {
    const T* x = static_cast<const T*>(p.input);
    const T* residual = static_cast<const T*>(p.residual);
    const T* weight = static_cast<const T*>(p.normWeight);
    T* sum = static_cast<T*>(p.sum);
    for (int r = 0; r < R; ++r) {
      for (int64_t i = threadIdx.x; i < K; i += blockDim.x) {
        const T s = fromF<T>(toF<T>(x[r * K + i]) + toF<T>(residual[r * K + i]));
        rowF[i] = toF<T>(s);
        if (blockIdx.x == 0) sum[r * K + i] = s;
      }
      __syncthreads();
      float ss = 0.f;
      for (int64_t i = threadIdx.x; i < K; i += blockDim.x) ss += rowF[i] * rowF[i];
      ss = blockSum(ss, scratch);
      const float rstd = 1.f / sqrtf(ss / static_cast<float>(K) + p.eps);
      for (int64_t i = threadIdx.x; i < K; i += blockDim.x)
        sA[r * K + i] = fromF<T>(toF<T>(weight[i]) * roundTo<T>(rowF[i] * rstd));
      __syncthreads();  // the next row overwrites rowF
    }
  }
  __syncthreads();
  if (!hasColumn) return;
  if constexpr (kGlu) {
    float acc[2][R];
    warpDots<T, R, 2>(acc, reinterpret_cast<const uint4*>(sA), rows, w, prefetch, chunks);
    if (lane != 0) return;
#pragma unroll
    for (int r = 0; r < R; ++r)
      C[r * N + n] = fromF<T>(roundTo<T>(acc[1][r]) * siluF(roundTo<T>(acc[0][r]) * p.gateMultiplier));
  } else {
    columnProduct<T, R>(C, reinterpret_cast<const uint4*>(sA), rows[0], w, prefetch, n, N, chunks);
  }
}

/** matVecPrologueKernel<T, M, kP> for the call's M (1 ≤ M ≤ kMaxRows), as launchTyped does for the plain kernel. */
template <typename T, MatVecPrologue kP, bool kGlu = false, int R = 1>
void launchPrologueTyped(Ctx& ctx, int64_t M, void* out, const void* b, int64_t N, int64_t K, bool prefetch,
                         size_t shared, const MatVecPrologueArgs& p) {
  if constexpr (R < kMaxRows) {
    if (M != R) return launchPrologueTyped<T, kP, kGlu, R + 1>(ctx, M, out, b, N, K, prefetch, shared, p);
  }
  const unsigned blocks = static_cast<unsigned>((N + kPrologueWarps - 1) / kPrologueWarps);
  const char* name = kGlu ? "AddRmsNormSwiGluMlp (norm, gate|up, SwiGLU)"
                          : (kP == MatVecPrologue::kAddRmsNorm ? "AddRmsNormMatMul" : "SwiGluPackedMatMul");
  launchPdl(ctx, name, matVecPrologueKernel<T, R, kP, kGlu>, dim3(blocks), dim3(kPrologueWarps * 32), shared,
            static_cast<T*>(out), static_cast<const T*>(b), N, K, prefetch, p);
}

}  // namespace

bool tryLaunchMatVec(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                     const int64_t* outerB, int64_t outerCount) {
  if (decodeGemmOff() || g.M < 1 || g.M > kMaxRows) return false;
  if (g.dtype != F32 && g.dtype != F16 && g.dtype != BF16) return false;
  const void *pa = nullptr, *pb = nullptr;
  if (!linearOperands16(g, a, b, outerA, outerB, outerCount, &pa, &pb)) return false;
  const size_t es = dtypeSize(g.dtype);
  // Weight loads before the PDL wait only when the stream's previous kernel is known not to write B.
  const size_t bBytes = static_cast<size_t>(g.N * g.K) * es;
  const bool prefetch = readableBeforeWait(ctx, pb, bBytes);
  switch (g.dtype) {
    case F32:
      launchTyped<float>(ctx, g.M, out, pa, pb, g.N, g.K, prefetch);
      break;
    case F16:
      launchTyped<__half>(ctx, g.M, out, pa, pb, g.N, g.K, prefetch);
      break;
    default:
      launchTyped<__nv_bfloat16>(ctx, g.M, out, pa, pb, g.N, g.K, prefetch);
      break;
  }
  if (prefetch) ctx.earlyWeightLoads++;
  ctx.lastWrites.only(out, static_cast<size_t>(g.M * g.N) * es);  // this MatMul's only stream work writes C alone
  return true;
}

namespace {

/** Whether the prologue kernel takes these shapes (see tryLaunchMatVecPrologue); its dynamic shared memory if so. */
bool prologueFits(int dtype, int64_t M, int64_t N, int64_t K, const void* weight, bool norm, size_t* shared) {
  if (decodeGemmOff() || M < 1 || M > kMaxRows || N < 1 || K < 1) return false;
  if (dtype != F32 && dtype != F16 && dtype != BF16) return false;
  const size_t es = dtypeSize(dtype);
  *shared = static_cast<size_t>(M * K) * es + (norm ? static_cast<size_t>(K) * sizeof(float) : 0);
  // 16-byte rows of the weight and of A in shared memory (K·size), a 16-byte aligned weight.
  return *shared <= kPrologueSharedMax && (static_cast<uint64_t>(K) * es) % 16 == 0 &&
         reinterpret_cast<uintptr_t>(weight) % 16 == 0;
}

}  // namespace

bool tryLaunchMatVecNormSwiGlu(Ctx& ctx, int dtype, int64_t M, int64_t I, int64_t K, void* act,
                               const void* gateUpWeight, const MatVecPrologueArgs& p) {
  size_t shared = 0;
  if (!prologueFits(dtype, M, I, K, gateUpWeight, true, &shared)) return false;
  const size_t es = dtypeSize(dtype);
  const bool prefetch = readableBeforeWait(ctx, gateUpWeight, static_cast<size_t>(2 * I * K) * es);
  FH_DISPATCH_FLOAT(dtype, "AddRmsNormSwiGluMlp (norm, gate|up, SwiGLU)", {
    launchPrologueTyped<T, MatVecPrologue::kAddRmsNorm, true>(ctx, M, act, gateUpWeight, I, K, prefetch, shared, p);
  });
  if (prefetch) ctx.earlyWeightLoads++;
  ctx.lastWrites.begin();  // the call's only stream work
  ctx.lastWrites.add(act, static_cast<size_t>(M * I) * es);
  ctx.lastWrites.add(p.sum, static_cast<size_t>(M * K) * es);
  return true;
}

bool tryLaunchMatVecPrologue(Ctx& ctx, MatVecPrologue kind, int dtype, int64_t M, int64_t N, int64_t K, void* out,
                             const void* weight, const MatVecPrologueArgs& p) {
  const bool norm = kind == MatVecPrologue::kAddRmsNorm;
  size_t shared = 0;
  if (!prologueFits(dtype, M, N, K, weight, norm, &shared)) return false;
  const size_t es = dtypeSize(dtype);
  const bool prefetch = readableBeforeWait(ctx, weight, static_cast<size_t>(N * K) * es);
  FH_DISPATCH_FLOAT(dtype, "MatMul (fused prologue)", {
    if (norm)
      launchPrologueTyped<T, MatVecPrologue::kAddRmsNorm>(ctx, M, out, weight, N, K, prefetch, shared, p);
    else
      launchPrologueTyped<T, MatVecPrologue::kSwiGluPacked>(ctx, M, out, weight, N, K, prefetch, shared, p);
  });
  if (prefetch) ctx.earlyWeightLoads++;
  ctx.lastWrites.begin();  // the call's only stream work
  ctx.lastWrites.add(out, static_cast<size_t>(M * N) * es);
  if (norm) ctx.lastWrites.add(p.sum, static_cast<size_t>(M * K) * es);
  return true;
}

}  // namespace fh
