/*
 * skinny_gemm.cu — the decode-step MatMul for a batch of 9–64 tokens: C[M, N] = A[M, K] · B[N, K]ᵀ with A a few
 * token rows and B a 16-bit Linear weight, on tensor cores, reading B once.
 *
 * Why not cuBLASLt: at M = 32 its heuristic kernels take ~6 µs for the 1.5–7 MB weights of a 0.5B layer (217 calls,
 * 1.3 ms per B32 decode step) where streaming the weight takes ~1 µs; the M ≤ 8 CUDA-core kernel (mat_vec.cu) would
 * be compute-bound at 32 rows. Here the weight is the 16-row operand of mma.sync.m16n8k16 and the tokens are its
 * n = 8 columns, so the tensor cores do the multiply and the kernel only has to keep enough of B in flight.
 *
 * Tiles: a block owns 16·RT weight rows (RT = 1, or 2 for very wide N such as lm_head: fewer blocks re-read A)
 * and all 8·NT token columns (NT = 1, 2, 4 or 8 n-tiles: M ≤ 8, 16, 32, 64); its W warps split K in 32-wide
 * chunks, U consecutive chunks per warp per iteration, W = ⌈chunks / U⌉ up to 16 (8 where NT·RT > 4: shared
 * memory), so a K of 1024–2048 takes one iteration. In a chunk, lane (g = lane / 4, t = lane % 4) loads 16 bytes —
 * k = 8t..8t+7 — of weight rows g and g + 8 of each 16-row tile and of token rows g, 8 + g, … : the same k for both
 * operands, so the 8 values fill one mma's k-slots {2t, 2t+1, 2t+8, 2t+9} in a fixed permutation
 * (x/y words: first k16 step, z/w: second) and no shuffle or shared-memory staging is needed. Per lane and
 * iteration that is U·RT·2 = 8 streaming 16-byte weight loads in flight (4 for NT = 8, to stay in 128 registers),
 * 4 KB per warp, up to 64 KB per block; token loads (A is a few KB, L2-resident) go through L1.
 *
 * Reduction: each warp's f32 accumulators go to shared memory ([warp][token][row], padded so both the fragment
 * writes and the row-contiguous reads are conflict-free), then the block sums the warps in order — deterministic —
 * and rounds each C value once to the storage dtype, as cuBLASLt's f32-accumulating path does (summation order
 * differs). Rows past N, tokens past M and k past K are loaded as zeros and never stored.
 *
 * Taken when (tryLaunchSkinnyGemm): dtype f16/bf16, A not transposed, B transposed ([N, K] rows, a Linear
 * weight), one matrix (no batch, one outer batch), 9 ≤ M ≤ 32 and N ≤ 8192, K·2 bytes and both base pointers 16-byte
 * aligned. The limits are measured (tools/cuda/micro/skinny-gemm-bench.cu, H200, BENCHMARKS.md): against cuBLASLt
 * this kernel is 1.15–1.46× at 16 tokens and 1.02–1.09× at 32 on the 0.5B layer shapes, but 0.72–0.81× at 64 and
 * 0.69–0.88× for a 32k-vocabulary lm_head from 16 tokens on; the 33–64-token tiles stay for the benchmark. On the
 * model's merged decode products at 32 tokens it is 0.91× alone on the two 4k-row ones, yet faster in the model,
 * where its weight loads go before the PDL wait (routing those to cuBLASLt cost 1.7 % at B32: BENCHMARKS.md).
 * Anything else goes to cuBLASLt; FALCON_H1_CUDA_GEMV=off routes it there too (A/B runs, as for mat_vec.cu).
 * The same kernel with kGlu is AddRmsNormSwiGluMlp's gate|up product with SwiGLU as its epilogue (a tile pairs 8
 * gate rows with their 8 up rows; tryLaunchSkinnyGemmSwiGlu, same routing limits).
 * Needs sm_80+ (mma.sync bf16); the addon is built for sm_80/sm_90 only. On sm_90 the addon launches it with
 * Programmatic Dependent Launch (pdl_launch.cuh): the first iteration's weight loads go before the wait for the previous
 * kernel when that kernel does not write the weight (mat_vec.cu's rule), the tokens are read after it.
 */
#include "common.cuh"
#include "decode_gemm.cuh"
#include "pdl_launch.cuh"
#include "skinny_gemm.cuh"

namespace fh {

namespace {

constexpr int kChunk = 32;  // k values of one chunk: 4 lanes × 8 values (16 bytes each)
constexpr int kMinRows = 9;  // M ≤ 8 is mat_vec.cu's
constexpr int kMaxRows = 64;
constexpr int kMaxRoutedRows = 32;   // MatMul routes up to 32 rows here (see the header: measured)
constexpr int64_t kMaxRoutedN = 8192;  // and weights of up to 8192 rows (an lm_head is faster on cuBLASLt)

/** c += a · b for one 16×8×16 tile: a = 16 weight rows × 16 k (4 words), b = 16 k × 8 tokens (2 words). */
template <typename T>
__device__ __forceinline__ void mma16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                         uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2,
                                                        uint32_t a3, uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<__half>(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                                 uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

/** Chunks per warp and iteration: 8 weight loads in flight per lane, 4 with 64 tokens (register budget). */
template <int NT, int RT>
__host__ __device__ constexpr int unrollFor() {
  return NT == 8 ? 2 / RT : 4 / RT;
}

/**
 * Most warps per block: 16 (a 2048-wide K in one iteration, all of the block's loads in flight at once) where the
 * per-warp partials fit in 48 KB of shared memory, else 8. Either way 512 threads of ≤ 128 registers fill an SM.
 */
template <int NT, int RT>
__host__ __device__ constexpr int maxWarpsFor() {
  return NT * RT <= 4 ? 16 : 8;
}

/**
 * kGlu (AddRmsNormSwiGluMlp's gate|up product, RT = 1): B is a packed [gate; up] weight [2N, K] and C the activation
 * [M, N]. A block owns activation columns 8·b … 8·b + 7: its tile's rows 0–7 are those gate rows, rows 8–15 the
 * matching up rows (N + 8·b …), so after the cross-warp sum the thread that finishes (token, gate row c) also sums
 * (token, up row c), rounds both to the dtype — what the plain product stores — and stores round(up · silu(gate · m))
 * (swi_glu.cu's formula). Every row's sum is the plain product's, in the same order: the bits of MatMul then
 * SwiGluPacked, in one launch over the same 256 blocks (I = 2048) and without the [M, 2N] intermediate.
 */
template <typename T, int NT, int RT, bool kGlu = false>
__global__ void __launch_bounds__(maxWarpsFor<NT, RT>() * 32, 16 / maxWarpsFor<NT, RT>())
    skinnyGemmKernel(T* __restrict__ C, const T* __restrict__ A, const T* __restrict__ B, int M, int64_t N,
                     int64_t K, bool prefetch, float gateMultiplier) {
  static_assert(!kGlu || RT == 1, "the SwiGLU epilogue pairs the rows of one 16-row tile");
  constexpr int U = unrollFor<NT, RT>();
  constexpr int kRows = 16 * RT;
  constexpr int kTokens = 8 * NT;
  // Row stride kRows + 4: the fragment writes (token 2t, row g) land in banks 8t + g, the reads run along rows.
  __shared__ float partial[maxWarpsFor<NT, RT>()][kTokens][kRows + 4];

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int64_t row0 = int64_t(blockIdx.x) * (kGlu ? 8 : kRows);
  const int64_t chunks = (K + kChunk - 1) / kChunk;

  // This lane's weight rows (row0 + 16r + 8h + g; kGlu: gate row row0 + g and up row N + row0 + g) and token rows
  // (8j + g); null past N or M (read as zeros).
  const T* wRow[RT][2];
#pragma unroll
  for (int r = 0; r < RT; ++r)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      if constexpr (kGlu) {
        const int64_t c = row0 + g;
        // h = 1, the up row: loadWeights reads it as the gate row + upOffset (one pointer fewer held in the loop).
        wRow[r][h] = c < N ? B + (h * N + c) * K : nullptr;
      } else {
        const int64_t n = row0 + 16 * r + 8 * h + g;
        wRow[r][h] = n < N ? B + n * K : nullptr;
      }
    }
  const int64_t upOffset = kGlu ? N * K : 0;  // kGlu: up row n = gate row n + N·K elements
  const T* tRow[NT];
#pragma unroll
  for (int j = 0; j < NT; ++j) tRow[j] = 8 * j + g < M ? A + int64_t(8 * j + g) * K : nullptr;

  float acc[RT][NT][4];
#pragma unroll
  for (int r = 0; r < RT; ++r)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[r][j][e] = 0.f;

  const uint4 zero = make_uint4(0u, 0u, 0u, 0u);
  uint4 w[U][RT][2];
  auto loadWeights = [&](int64_t c0) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t k = (c0 + u) * kChunk + 8 * t;
#pragma unroll
      for (int r = 0; r < RT; ++r)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          if constexpr (kGlu) {
            // The up row is the gate row + N·K: one pointer and a 32-bit offset (a second 64-bit pointer would spill
            // at 32 tokens, where the kernel is at its 128-register budget).
            w[u][r][h] = k < K && wRow[r][0] ? loadStreaming16(wRow[r][0] + (h == 0 ? k : k + upOffset)) : zero;
          } else {
            w[u][r][h] = k < K && wRow[r][h] ? loadStreaming16(wRow[r][h] + k) : zero;
          }
        }
    }
  };
  // Programmatic Dependent Launch (pdl_launch.cuh): with `prefetch` (the previous kernel does not write B) the first
  // iteration's weight loads go before the wait for it; the tokens (its output) are read after.
  const int64_t first = int64_t(warp) * U;
  if (prefetch) loadWeights(first);
  pdl::waitForPredecessor();
  pdl::allowDependents();
  for (int64_t c0 = first; c0 < chunks; c0 += int64_t(warps) * U) {
    // Every load of the iteration first — the weight's (K % 8 == 0: a lane's 8 values are all inside K or all past
    // it) and the tokens' same 8 k values (L2-resident) — so the iteration waits for memory once …
    if (!prefetch || c0 != first) loadWeights(c0);
    uint4 x[U][NT];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t k = (c0 + u) * kChunk + 8 * t;
#pragma unroll
      for (int j = 0; j < NT; ++j)
        x[u][j] = k < K && tRow[j] ? __ldg(reinterpret_cast<const uint4*>(tRow[j] + k)) : zero;
    }
    // … then, chunk by chunk, two k16 steps of mma (x/y words, then z/w).
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int r = 0; r < RT; ++r) {
        const uint4 lo = w[u][r][0], hi = w[u][r][1];  // rows g and g + 8
#pragma unroll
        for (int j = 0; j < NT; ++j) {
          mma16816<T>(acc[r][j], lo.x, hi.x, lo.y, hi.y, x[u][j].x, x[u][j].y);
          mma16816<T>(acc[r][j], lo.z, hi.z, lo.w, hi.w, x[u][j].z, x[u][j].w);
        }
      }
    }
  }

  // Accumulator fragment: [0], [1] = (row g, tokens 2t, 2t + 1), [2], [3] = (row g + 8, same tokens).
#pragma unroll
  for (int r = 0; r < RT; ++r)
#pragma unroll
    for (int j = 0; j < NT; ++j) {
      const int tok = 8 * j + 2 * t, row = 16 * r + g;
      partial[warp][tok][row] = acc[r][j][0];
      partial[warp][tok + 1][row] = acc[r][j][1];
      partial[warp][tok][row + 8] = acc[r][j][2];
      partial[warp][tok + 1][row + 8] = acc[r][j][3];
    }
  __syncthreads();
  if constexpr (kGlu) {
    for (int i = threadIdx.x; i < kTokens * 8; i += blockDim.x) {
      const int tok = i / 8, c = i % 8;
      const int64_t n = row0 + c;
      if (tok >= M || n >= N) continue;
      float gate = 0.f, up = 0.f;
      for (int v = 0; v < warps; ++v) gate += partial[v][tok][c];
      for (int v = 0; v < warps; ++v) up += partial[v][tok][c + 8];
      C[int64_t(tok) * N + n] = fromF<T>(roundTo<T>(up) * siluF(roundTo<T>(gate) * gateMultiplier));
    }
    return;
  }
  for (int i = threadIdx.x; i < kTokens * kRows; i += blockDim.x) {
    const int tok = i / kRows, row = i % kRows;
    const int64_t n = row0 + row;
    if (tok >= M || n >= N) continue;
    float s = 0.f;
    for (int v = 0; v < warps; ++v) s += partial[v][tok][row];
    C[int64_t(tok) * N + n] = fromF<T>(s);
  }
}

/** Launch parameters beyond the shapes: the addon's context (null: a plain launch on `stream`, the benchmark's). */
struct SkinnyLaunch {
  cudaStream_t stream;
  const Ctx* ctx;  // with ctx->pdl: Programmatic Dependent Launch
  bool prefetch;   // the weight's first loads before the PDL wait (the previous kernel does not write B)
};

template <typename T, int NT, int RT, bool kGlu = false>
void launchTiles(const SkinnyLaunch& how, int64_t M, int64_t N, int64_t K, void* out, const void* a, const void* b,
                 float gateMultiplier = 1.f) {
  constexpr int U = unrollFor<NT, RT>();
  const int64_t chunks = (K + kChunk - 1) / kChunk;
  const int64_t wanted = (chunks + U - 1) / U;  // warps that each get one iteration
  constexpr int kMaxWarps = maxWarpsFor<NT, RT>();
  const int warps = static_cast<int>(wanted < kMaxWarps ? wanted : kMaxWarps);
  const int64_t rowsPerBlock = kGlu ? 8 : 16 * RT;  // kGlu: 8 activation columns (16 weight rows) per block
  const unsigned blocks = static_cast<unsigned>((N + rowsPerBlock - 1) / rowsPerBlock);
  T* c = static_cast<T*>(out);
  const T* pa = static_cast<const T*>(a);
  const T* pb = static_cast<const T*>(b);
  const int m = static_cast<int>(M);
  const char* name = kGlu ? "AddRmsNormSwiGluMlp (skinny GEMM, SwiGLU epilogue)" : "MatMul (skinny GEMM)";
  if (how.ctx != nullptr) {
    launchPdl(*how.ctx, name, skinnyGemmKernel<T, NT, RT, kGlu>, dim3(blocks), dim3(warps * 32), 0, c, pa, pb, m, N, K,
              how.prefetch, gateMultiplier);
  } else {
    skinnyGemmKernel<T, NT, RT, kGlu><<<blocks, warps * 32, 0, how.stream>>>(c, pa, pb, m, N, K, false, gateMultiplier);
    checkLaunch(name);
  }
}

/** The SwiGLU-epilogue product (kGlu) for the call's M: 16-row weight tiles only (its rows pair inside one). */
template <typename T>
void launchGluTyped(const SkinnyLaunch& how, int64_t M, int64_t I, int64_t K, void* out, const void* a, const void* b,
                    float m) {
  if (M <= 8) return launchTiles<T, 1, 1, true>(how, M, I, K, out, a, b, m);
  if (M <= 16) return launchTiles<T, 2, 1, true>(how, M, I, K, out, a, b, m);
  if (M <= 32) return launchTiles<T, 4, 1, true>(how, M, I, K, out, a, b, m);
  return launchTiles<T, 8, 1, true>(how, M, I, K, out, a, b, m);
}

template <typename T>
void launchTyped(const SkinnyLaunch& how, int smCount, int64_t M, int64_t N, int64_t K, void* out, const void* a,
                 const void* b, int rowTiles) {
  // 32-row tiles halve the re-reads of A (each block reads all of it) but halve the blocks: only when N leaves
  // several blocks per SM anyway (lm_head). Never with 64 tokens (shared memory and registers).
  if (rowTiles == 0) rowTiles = (N + 15) / 16 >= 4 * int64_t(smCount) ? 2 : 1;
  const bool wide = rowTiles == 2;
  if (M <= 8) {
    return wide ? launchTiles<T, 1, 2>(how, M, N, K, out, a, b) : launchTiles<T, 1, 1>(how, M, N, K, out, a, b);
  }
  if (M <= 16) {
    return wide ? launchTiles<T, 2, 2>(how, M, N, K, out, a, b) : launchTiles<T, 2, 1>(how, M, N, K, out, a, b);
  }
  if (M <= 32) {
    return wide ? launchTiles<T, 4, 2>(how, M, N, K, out, a, b) : launchTiles<T, 4, 1>(how, M, N, K, out, a, b);
  }
  return launchTiles<T, 8, 1>(how, M, N, K, out, a, b);
}

void launchDtype(const SkinnyLaunch& how, int smCount, int dtype, int64_t M, int64_t N, int64_t K, void* out,
                 const void* a, const void* b, int rowTiles) {
  if (M < 1 || M > kMaxRows) throw Error("skinny GEMM: takes 1 to 64 token rows");
  if (dtype == F16) {
    launchTyped<__half>(how, smCount, M, N, K, out, a, b, rowTiles);
  } else {
    launchTyped<__nv_bfloat16>(how, smCount, M, N, K, out, a, b, rowTiles);
  }
}

void launchGluDtype(const SkinnyLaunch& how, int dtype, int64_t M, int64_t I, int64_t K, void* out, const void* a,
                    const void* b, float m) {
  if (M < 1 || M > kMaxRows) throw Error("skinny GEMM: takes 1 to 64 token rows");
  if (dtype == F16) {
    launchGluTyped<__half>(how, M, I, K, out, a, b, m);
  } else {
    launchGluTyped<__nv_bfloat16>(how, M, I, K, out, a, b, m);
  }
}

}  // namespace

void launchSkinnyGemmSwiGlu(cudaStream_t stream, int dtype, int64_t M, int64_t I, int64_t K, void* out, const void* a,
                            const void* b, float gateMultiplier) {
  launchGluDtype(SkinnyLaunch{stream, nullptr, false}, dtype, M, I, K, out, a, b, gateMultiplier);
}

bool tryLaunchSkinnyGemmSwiGlu(Ctx& ctx, int dtype, int64_t M, int64_t I, int64_t K, void* act, const void* a,
                               const void* gateUpWeight, float gateMultiplier) {
  if (decodeGemmOff() || M < kMinRows || M > kMaxRoutedRows || 2 * I > kMaxRoutedN) return false;
  if (dtype != F16 && dtype != BF16) return false;
  // linearOperands16's conditions for A [M, K] and the weight [2I, K]: 16-byte rows and base pointers.
  if ((static_cast<uint64_t>(K) * 2) % 16 != 0 || reinterpret_cast<uintptr_t>(a) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(gateUpWeight) % 16 != 0)
    return false;
  const bool prefetch = readableBeforeWait(ctx, gateUpWeight, static_cast<size_t>(2 * I * K) * 2);
  launchGluDtype(SkinnyLaunch{ctx.stream, &ctx, prefetch}, dtype, M, I, K, act, a, gateUpWeight, gateMultiplier);
  if (prefetch) ctx.earlyWeightLoads++;
  ctx.lastWrites.only(act, static_cast<size_t>(M * I) * 2);  // the launch writes the activation alone
  return true;
}

void launchSkinnyGemm(cudaStream_t stream, int smCount, int dtype, int64_t M, int64_t N, int64_t K, void* out,
                      const void* a, const void* b, int rowTiles) {
  launchDtype(SkinnyLaunch{stream, nullptr, false}, smCount, dtype, M, N, K, out, a, b, rowTiles);
}

bool tryLaunchSkinnyGemm(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                         const int64_t* outerB, int64_t outerCount) {
  if (decodeGemmOff() || g.M < kMinRows || g.M > kMaxRoutedRows || g.N > kMaxRoutedN) return false;
  if (g.dtype != F16 && g.dtype != BF16) return false;
  const void *pa, *pb;
  if (!linearOperands16(g, a, b, outerA, outerB, outerCount, &pa, &pb)) return false;
  // Weight loads before the PDL wait only when the stream's previous kernel is known not to write B.
  const size_t es = dtypeSize(g.dtype);
  const bool prefetch = readableBeforeWait(ctx, pb, static_cast<size_t>(g.N * g.K) * es);
  launchDtype(SkinnyLaunch{ctx.stream, &ctx, prefetch}, ctx.smCount, g.dtype, g.M, g.N, g.K, out, pa, pb, 0);
  if (prefetch) ctx.earlyWeightLoads++;
  ctx.lastWrites.only(out, static_cast<size_t>(g.M * g.N) * es);  // this MatMul's only stream work writes C alone
  return true;
}

}  // namespace fh
