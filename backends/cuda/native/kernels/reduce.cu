/*
 * reduce.cu — reductions and scans.
 *
 *   Sum / Mean / Max over any set of axes: one warp per output when the reduction is short (≤ 1024 elements),
 *   else one 256-thread block per output; f32 accumulation for float dtypes (i64 for i32); Max propagates NaN;
 *   an empty Sum is 0.
 *   ArgMax along one axis: one warp per output, first maximum wins, NaN is the largest value. Both ArgMax kernels
 *   are Programmatic-Dependent-Launch kernels (pdl_launch.cuh: greedy decoding's last kernel): they wait first.
 *   CumSum along one axis: one thread per line, sequential (f64 accumulation for f32 so long scans stay exact
 *   to the last bit that matters).
 */
#include <cmath>
#include <cstring>

#include "common.cuh"
#include "packed_words.cuh"
#include "pdl_launch.cuh"
#include "reduce.cuh"

namespace fh {

namespace {

template <typename T>
struct Acc {
  using type = float;
};
template <>
struct Acc<int32_t> {
  using type = int64_t;
};

template <typename A>
__device__ __forceinline__ A combine(int op, A a, A b);
template <>
__device__ __forceinline__ float combine<float>(int op, float a, float b) {
  return op == kMax ? nanMax(a, b) : a + b;
}
template <>
__device__ __forceinline__ int64_t combine<int64_t>(int op, int64_t a, int64_t b) {
  return op == kMax ? (a > b ? a : b) : a + b;
}

template <typename A>
__device__ __forceinline__ A identity(int op);
template <>
__device__ __forceinline__ float identity<float>(int op) {
  return op == kMax ? -INFINITY : 0.f;
}
template <>
__device__ __forceinline__ int64_t identity<int64_t>(int op) {
  return op == kMax ? INT64_MIN : 0;
}

template <typename T>
__device__ __forceinline__ typename Acc<T>::type load(T v) {
  return toF<T>(v);
}
template <>
__device__ __forceinline__ int64_t load<int32_t>(int32_t v) {
  return v;
}

template <typename T>
__device__ __forceinline__ T finish(int op, float acc, int64_t count) {
  return fromF<T>(op == kMean ? acc / static_cast<float>(count) : acc);
}
__device__ __forceinline__ int32_t finishInt(int op, int64_t acc, int64_t count) {
  if (op == kMean) {
    double m = trunc(static_cast<double>(acc) / static_cast<double>(count));
    return static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(m)));
  }
  return static_cast<int32_t>(static_cast<uint32_t>(acc));
}

template <typename A>
__device__ __forceinline__ A warpCombine(int op, A v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = combine<A>(op, v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

template <typename T>
__device__ __forceinline__ void store(int op, T* out, typename Acc<T>::type acc, int64_t count) {
  *out = finish<T>(op, acc, count);
}
template <>
__device__ __forceinline__ void store<int32_t>(int op, int32_t* out, int64_t acc, int64_t count) {
  *out = finishInt(op, acc, count);
}

__device__ __forceinline__ int64_t redOffset(int64_t r, const Shape& red, const Strides& st) {
  return red.rank == 1 ? r * st.s[0] : stridedOffset(r, red, st);
}

/** One warp per output. */
template <typename T>
__global__ void reduceWarpKernel(int op, T* __restrict__ out, const T* __restrict__ x, int64_t outCount, Shape kept,
                                 Strides keptSt, int64_t redCount, Shape red, Strides redSt) {
  using A = typename Acc<T>::type;
  const int lane = threadIdx.x & 31;
  const int64_t warpsTotal = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t o = blockIdx.x * int64_t(blockDim.x >> 5) + (threadIdx.x >> 5); o < outCount; o += warpsTotal) {
    const int64_t base = kept.rank == 0 ? 0 : stridedOffset(o, kept, keptSt);
    A acc = identity<A>(op);
    for (int64_t r = lane; r < redCount; r += 32) acc = combine<A>(op, acc, load<T>(x[base + redOffset(r, red, redSt)]));
    acc = warpCombine<A>(op, acc);
    if (lane == 0) store<T>(op, out + o, acc, redCount);
  }
}

/** One block per output. */
template <typename T>
__global__ void reduceBlockKernel(int op, T* __restrict__ out, const T* __restrict__ x, int64_t outCount, Shape kept,
                                  Strides keptSt, int64_t redCount, Shape red, Strides redSt) {
  using A = typename Acc<T>::type;
  __shared__ A partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int64_t o = blockIdx.x; o < outCount; o += gridDim.x) {
    const int64_t base = kept.rank == 0 ? 0 : stridedOffset(o, kept, keptSt);
    A acc = identity<A>(op);
    for (int64_t r = threadIdx.x; r < redCount; r += blockDim.x)
      acc = combine<A>(op, acc, load<T>(x[base + redOffset(r, red, redSt)]));
    acc = warpCombine<A>(op, acc);
    __syncthreads();
    if (lane == 0) partial[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      A v = lane < warps ? partial[lane] : identity<A>(op);
      v = warpCombine<A>(op, v);
      if (lane == 0) store<T>(op, out + o, v, redCount);
    }
  }
}

template <typename T>
struct Key {
  using type = float;
};
template <>
struct Key<int32_t> {
  using type = int32_t;
};
template <typename T>
__device__ __forceinline__ typename Key<T>::type keyOf(T v) {
  return toF<T>(v);
}
template <>
__device__ __forceinline__ int32_t keyOf<int32_t>(int32_t v) {
  return v;
}
template <typename K>
__device__ __forceinline__ bool isNan(K v) {
  return v != v;
}

/** Whether (v, i) beats (best, bi): NaN first (lowest index), then larger, then lower index. */
template <typename K>
__device__ __forceinline__ bool better(K v, int64_t i, K best, int64_t bi) {
  bool vn = isNan(v), bn = isNan(best);
  if (vn != bn) return vn;
  if (!vn && v != best) return v > best;
  return i < bi;
}

template <typename T>
__global__ void argMaxKernel(int32_t* __restrict__ out, const T* __restrict__ x, int64_t outer, int64_t n,
                             int64_t inner) {
  using K = typename Key<T>::type;
  const int lane = threadIdx.x & 31;
  const int64_t items = outer * inner;
  const int64_t warpsTotal = int64_t(gridDim.x) * (blockDim.x >> 5);
  pdl::waitForPredecessor();  // x is the previous kernel's output (the logits)
  pdl::allowDependents();
  for (int64_t item = blockIdx.x * int64_t(blockDim.x >> 5) + (threadIdx.x >> 5); item < items; item += warpsTotal) {
    const int64_t o = item / inner, r = item - o * inner;
    const T* row = x + o * n * inner + r;
    K best = 0;
    int64_t bi = INT64_MAX;
    for (int64_t i = lane; i < n; i += 32) {
      K v = keyOf<T>(row[i * inner]);
      if (bi == INT64_MAX || better<K>(v, i, best, bi)) {
        best = v;
        bi = i;
      }
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      K ov = __shfl_xor_sync(0xffffffffu, best, off);
      int64_t oi = __shfl_xor_sync(0xffffffffu, bi, off);
      if (oi != INT64_MAX && (bi == INT64_MAX || better<K>(ov, oi, best, bi))) {
        best = ov;
        bi = oi;
      }
    }
    if (lane == 0) out[item] = static_cast<int32_t>(bi == INT64_MAX ? 0 : bi);
  }
}

/**
 * ArgMax of few long rows (greedy decoding: B rows of the vocabulary): one 1024-thread block per row instead of one
 * warp, whose lanes would each walk n/32 elements one dependent load after another (~100 µs for a 32k vocabulary).
 * The order `better` defines is total (NaN first, then value, then the smaller index), so the tree of comparisons
 * gives the one-warp kernel's answer.
 */
constexpr int kArgMaxBlock = 1024;
/** Element k of a 16-byte vector held as four words (packed_words.cuh: by shifts, the registers stay registers). */
template <typename T>
__device__ __forceinline__ T elementOfWords(const uint32_t (&words)[4], int k) {
  constexpr int kPerWord = 4 / sizeof(T);
  return valueOfWord<T>(words[k / kPerWord], k % kPerWord);
}
template <typename T>
__global__ void __launch_bounds__(kArgMaxBlock)
    argMaxRowBlockKernel(int32_t* __restrict__ out, const T* __restrict__ x, int64_t n) {
  using K = typename Key<T>::type;
  __shared__ K bestS[kArgMaxBlock / 32];
  __shared__ int64_t indexS[kArgMaxBlock / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const T* row = x + int64_t(blockIdx.x) * n;
  pdl::waitForPredecessor();  // x is the previous kernel's output (the logits)
  pdl::allowDependents();
  K best = 0;
  int64_t bi = INT64_MAX;
  auto consider = [&](T value, int64_t i) {
    const K v = keyOf<T>(value);
    if (bi == INT64_MAX || better<K>(v, i, best, bi)) {
      best = v;
      bi = i;
    }
  };
  // A 16-byte-aligned row in 16-byte vectors, four in flight per thread (one 2-byte load at a time left a 32k
  // vocabulary row at ~12 µs), then the last n mod (16 / sizeof(T)) elements; an unaligned row element by element.
  // `better` orders (value, index) totally, so the order of visits does not change the answer.
  constexpr int kPer = 16 / sizeof(T);
  int64_t head = 0;
  if (reinterpret_cast<uintptr_t>(row) % 16 == 0) {
    const int64_t vectors = n / kPer;
    const uint4* rv = reinterpret_cast<const uint4*>(row);
#pragma unroll 4
    for (int64_t q = threadIdx.x; q < vectors; q += kArgMaxBlock) {
      const uint4 w = __ldg(rv + q);
      const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
      for (int k = 0; k < kPer; ++k) consider(elementOfWords<T>(words, k), q * kPer + k);
    }
    head = vectors * kPer;
  }
  for (int64_t i = head + threadIdx.x; i < n; i += kArgMaxBlock) consider(row[i], i);
  auto merge = [&](K ov, int64_t oi) {
    if (oi != INT64_MAX && (bi == INT64_MAX || better<K>(ov, oi, best, bi))) {
      best = ov;
      bi = oi;
    }
  };
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) merge(__shfl_xor_sync(0xffffffffu, best, off), __shfl_xor_sync(0xffffffffu, bi, off));
  if (lane == 0) {
    bestS[warp] = best;
    indexS[warp] = bi;
  }
  __syncthreads();
  if (warp != 0) return;
  best = bestS[lane];
  bi = indexS[lane];
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) merge(__shfl_xor_sync(0xffffffffu, best, off), __shfl_xor_sync(0xffffffffu, bi, off));
  if (lane == 0) out[blockIdx.x] = static_cast<int32_t>(bi == INT64_MAX ? 0 : bi);
}

template <typename T>
struct ScanAcc {
  using type = float;
};
template <>
struct ScanAcc<float> {
  using type = double;
};
template <>
struct ScanAcc<int32_t> {
  using type = int64_t;
};
template <typename T, typename A>
__device__ __forceinline__ A scanLoad(T v) {
  return static_cast<A>(toF<T>(v));
}
template <>
__device__ __forceinline__ int64_t scanLoad<int32_t, int64_t>(int32_t v) {
  return v;
}
template <typename T, typename A>
__device__ __forceinline__ T scanStore(A v) {
  return fromD<T>(static_cast<double>(v));
}
template <>
__device__ __forceinline__ __half scanStore<__half, float>(float v) {
  return fromF<__half>(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 scanStore<__nv_bfloat16, float>(float v) {
  return fromF<__nv_bfloat16>(v);
}
template <>
__device__ __forceinline__ int32_t scanStore<int32_t, int64_t>(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

template <typename T>
__global__ void cumSumKernel(T* __restrict__ out, const T* __restrict__ x, int64_t outer, int64_t n, int64_t inner,
                             bool exclusive, bool reverse) {
  using A = typename ScanAcc<T>::type;
  const int64_t lines = outer * inner;
  for (int64_t line = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; line < lines;
       line += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = line / inner, r = line - o * inner;
    const int64_t base = o * n * inner + r;
    A acc = 0;
    for (int64_t step = 0; step < n; ++step) {
      const int64_t i = reverse ? n - 1 - step : step;
      const int64_t at = base + i * inner;
      A v = scanLoad<T, A>(x[at]);
      if (exclusive) {
        out[at] = scanStore<T, A>(acc);
        acc += v;
      } else {
        acc += v;
        out[at] = scanStore<T, A>(acc);
      }
    }
  }
}

}  // namespace

void launchReduce(Ctx& ctx, int op, int dtype, void* out, const void* x, int64_t outCount, const Shape& kept,
                  const Strides& keptStrides, int64_t redCount, const Shape& red, const Strides& redStrides) {
  if (outCount == 0) return;
  const bool warpPerOutput = redCount <= 1024;
  FH_DISPATCH_NUMERIC(dtype, "reduce", {
    T* o = static_cast<T*>(out);
    const T* px = static_cast<const T*>(x);
    if (warpPerOutput) {
      unsigned grid = gridFor(outCount * 32, 256, ctx);
      reduceWarpKernel<T><<<grid, 256, 0, ctx.stream>>>(op, o, px, outCount, kept, keptStrides, redCount, red,
                                                        redStrides);
    } else {
      unsigned grid = static_cast<unsigned>(outCount < ctx.smCount * 8 ? outCount : ctx.smCount * 8);
      reduceBlockKernel<T><<<grid, 256, 0, ctx.stream>>>(op, o, px, outCount, kept, keptStrides, redCount, red,
                                                         redStrides);
    }
  });
  checkLaunch(op == kSum ? "Sum" : op == kMean ? "Mean" : "Max");
}

void launchArgMax(Ctx& ctx, int dtype, int32_t* out, const void* x, int64_t outer, int64_t n, int64_t inner) {
  const int64_t items = outer * inner;
  if (items == 0) return;
  // Few long contiguous rows (a decode step's logits): a block per row; otherwise a warp per row.
  if (inner == 1 && n >= 4096 && items <= 4 * static_cast<int64_t>(ctx.smCount) && items <= 0x7fffffff) {
    FH_DISPATCH_NUMERIC(dtype, "ArgMax",
                        launchPdl(ctx, "ArgMax", argMaxRowBlockKernel<T>, dim3(static_cast<unsigned>(items)),
                                  dim3(kArgMaxBlock), 0, out, static_cast<const T*>(x), n));
  } else {
    unsigned grid = gridFor(items * 32, 256, ctx);
    FH_DISPATCH_NUMERIC(dtype, "ArgMax",
                        launchPdl(ctx, "ArgMax", argMaxKernel<T>, dim3(grid), dim3(256), 0, out,
                                  static_cast<const T*>(x), outer, n, inner));
  }
  ctx.lastWrites.only(out, size_t(items) * sizeof(int32_t));  // the call's only stream work
}

void launchCumSum(Ctx& ctx, int dtype, void* out, const void* x, int64_t outer, int64_t n, int64_t inner,
                  bool exclusive, bool reverse) {
  const int64_t lines = outer * inner;
  if (lines == 0 || n == 0) return;
  unsigned grid = gridFor(lines, 128, ctx);
  FH_DISPATCH_NUMERIC(dtype, "CumSum",
                      cumSumKernel<T><<<grid, 128, 0, ctx.stream>>>(static_cast<T*>(out), static_cast<const T*>(x),
                                                                    outer, n, inner, exclusive, reverse));
  checkLaunch("CumSum");
}

}  // namespace fh
