/*
 * layout.cu — data movement: Cast, the strided copy (Slice, Transpose, Concat), Fill, Gather, ScatterAdd.
 *
 * Elements that only move are copied by width (1, 2 or 4 bytes, or as 8/16-byte words where runs are contiguous and
 * aligned), whatever their dtype. Cast follows the contract
 * bit for bit (round to nearest even through f32; truncate-and-wrap to integers; NaN/±Inf → 0).
 * Index checks that only the device can make (Gather/ScatterAdd) go to the error slot (fh.h) and surface as an
 * exception at the next readback or synchronize.
 * The strided copy and Gather (a decode step's Slice/Concat pieces and embedding) are Programmatic-Dependent-Launch
 * kernels (pdl_launch.cuh): they wait for their predecessor before touching memory.
 */
#include <cmath>

#include "common.cuh"
#include "layout.cuh"
#include "pdl_launch.cuh"

namespace fh {

namespace {

constexpr int kThreads = 256;

template <typename S>
struct IsInt {
  static constexpr bool value = false;
};
template <>
struct IsInt<int32_t> {
  static constexpr bool value = true;
};
template <>
struct IsInt<uint8_t> {
  static constexpr bool value = true;
};

/** Truncate toward zero and wrap modulo 2^bits; NaN/±Inf → 0. */
__device__ __forceinline__ uint32_t wrapToInt(float v, double modulus) {
  if (!isfinite(v)) return 0u;
  double t = trunc(static_cast<double>(v));
  double m = fmod(t, modulus);
  if (m < 0) m += modulus;
  return static_cast<uint32_t>(m);
}

template <typename S, typename D>
__device__ __forceinline__ D convert(S v) {
  if constexpr (IsInt<D>::value && !IsInt<S>::value) {
    float f = toF<S>(v);
    return static_cast<D>(wrapToInt(f, sizeof(D) == 4 ? 4294967296.0 : 256.0));
  } else if constexpr (IsInt<D>::value && IsInt<S>::value) {
    return static_cast<D>(static_cast<uint32_t>(static_cast<int64_t>(v)));
  } else if constexpr (IsInt<S>::value) {
    return fromF<D>(static_cast<float>(v));  // int → f32 rounds to nearest, then to D through f32
  } else {
    return fromF<D>(toF<S>(v));
  }
}

template <typename S, typename D>
__global__ void castKernel(D* __restrict__ out, const S* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = convert<S, D>(x[i]);
}

/** Source and destination offsets (in words) of flat index i of `shape`: Σ_d c_d·stride_d over its coordinates c. */
template <typename Idx>
__device__ __forceinline__ void stridedOffsets(Idx i, const Shape& shape, const Strides& ss, const Strides& ds,
                                               Idx& so, Idx& dso) {
  Idx rem = i;
  so = 0;
  dso = 0;
  for (int d = shape.rank - 1; d >= 0; --d) {
    Idx dim = static_cast<Idx>(shape.dim[d]);
    Idx q = rem / dim;
    Idx c = rem - q * dim;
    so += c * static_cast<Idx>(ss.s[d]);
    dso += c * static_cast<Idx>(ds.s[d]);
    rem = q;
  }
}

template <typename W, typename Idx>
__global__ void stridedCopyKernel(W* __restrict__ dst, const W* __restrict__ src, Idx n, Shape shape, Strides ss,
                                  int64_t srcOffset, Strides ds, int64_t dstOffset) {
  pdl::waitForPredecessor();  // src is usually the previous kernel's output
  pdl::allowDependents();
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x) {
    Idx so, dso;
    stridedOffsets(i, shape, ss, ds, so, dso);
    dst[dstOffset + dso] = src[srcOffset + so];
  }
}

/**
 * The strided copy of rows — the shape (after size-1 dims are dropped and contiguous dims merged) is [rows, width]
 * with both last strides 1, as every Slice along the last axis is (a prefill's q/k/v, z, x, B, C, dt columns of one
 * packed projection): word j of the flat copy is row j / width, column j % width. One 32-bit division per word and no
 * per-dim index arrays (the general kernel's Shape/Strides indexing lives in local memory), four words in flight per
 * thread. Pointers already at the copy's first word; every index < 2³¹.
 */
template <typename W>
__global__ void rowCopyKernel(W* __restrict__ dst, const W* __restrict__ src, uint32_t n, uint32_t width,
                              uint32_t srcStride, uint32_t dstStride) {
  pdl::waitForPredecessor();  // src is usually the previous kernel's output
  pdl::allowDependents();
  const uint32_t step = gridDim.x * blockDim.x;
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  for (; i + 3 * step < n; i += 4 * step) {
    W v[4];
    uint32_t at[4];
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const uint32_t j = i + u * step, r = j / width, c = j - r * width;
      v[u] = src[r * srcStride + c];
      at[u] = r * dstStride + c;
    }
#pragma unroll
    for (int u = 0; u < 4; ++u) dst[at[u]] = v[u];
  }
  for (; i < n; i += step) {
    const uint32_t r = i / width, c = i - r * width;
    dst[r * dstStride + c] = src[r * srcStride + c];
  }
}

/** The pieces of one Concat launch, in words: piece k's n words go from src[k] (its strides) to dst (its strides). */
template <typename W, typename Idx>
struct ConcatWords {
  const W* src[kMaxConcatPieces];
  Idx n[kMaxConcatPieces];
  Shape shape[kMaxConcatPieces];
  Strides ss[kMaxConcatPieces];
  Strides ds[kMaxConcatPieces];
  int64_t dstOffset[kMaxConcatPieces];
};

/** Every piece of a Concat in one launch: blockIdx.y is the piece, the x blocks stride over its words. */
template <typename W, typename Idx>
__global__ void concatKernel(W* __restrict__ dst, const ConcatWords<W, Idx> p) {
  pdl::waitForPredecessor();  // the pieces are usually the previous kernels' outputs
  pdl::allowDependents();
  const int k = blockIdx.y;
  const W* src = p.src[k];
  W* out = dst + p.dstOffset[k];
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < p.n[k]; i += Idx(gridDim.x) * blockDim.x) {
    Idx so, dso;
    stridedOffsets(i, p.shape[k], p.ss[k], p.ds[k], so, dso);
    out[dso] = src[so];
  }
}

template <typename W>
__global__ void fillKernel(W* __restrict__ out, int64_t n, W value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <typename W>
__global__ void gatherKernel(W* __restrict__ out, const W* __restrict__ table, const int32_t* __restrict__ indices,
                             int64_t count, int64_t rowSize, int64_t numRows, ErrorSlot* err) {
  const int64_t n = count * rowSize;
  pdl::waitForPredecessor();  // the indices are usually the previous kernel's output (a decode step's ArgMax)
  pdl::allowDependents();
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e / rowSize, r = e - i * rowSize;
    const int32_t row = indices[i];
    if (row < 0 || row >= numRows) {
      if (r == 0) reportError(err, kErrGatherIndex, row, static_cast<int>(i), static_cast<int>(numRows));
      out[e] = W(0);
    } else {
      out[e] = table[row * rowSize + r];
    }
  }
}

template <typename T>
__global__ void scatterAddFloatKernel(float* __restrict__ acc, const T* __restrict__ updates,
                                      const int32_t* __restrict__ indices, int64_t count, int64_t rowSize,
                                      int64_t numRows, ErrorSlot* err) {
  const int64_t n = count * rowSize;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e / rowSize, r = e - i * rowSize;
    const int32_t row = indices[i];
    if (row < 0 || row >= numRows) {
      if (r == 0) reportError(err, kErrScatterIndex, row, static_cast<int>(i), static_cast<int>(numRows));
      continue;
    }
    atomicAdd(acc + row * rowSize + r, toF<T>(updates[e]));
  }
}

__global__ void scatterAddIntKernel(int32_t* __restrict__ out, const int32_t* __restrict__ updates,
                                    const int32_t* __restrict__ indices, int64_t count, int64_t rowSize,
                                    int64_t numRows, ErrorSlot* err) {
  const int64_t n = count * rowSize;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e / rowSize, r = e - i * rowSize;
    const int32_t row = indices[i];
    if (row < 0 || row >= numRows) {
      if (r == 0) reportError(err, kErrScatterIndex, row, static_cast<int>(i), static_cast<int>(numRows));
      continue;
    }
    atomicAdd(out + row * rowSize + r, updates[e]);
  }
}

template <typename S>
void castFrom(Ctx& ctx, int dstDtype, void* out, const S* x, int64_t n, unsigned grid) {
  FH_DISPATCH_ALL(dstDtype, "Cast", castKernel<S, T><<<grid, kThreads, 0, ctx.stream>>>(static_cast<T*>(out), x, n));
}

}  // namespace

void launchCast(Ctx& ctx, int srcDtype, int dstDtype, void* out, const void* x, int64_t n) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  FH_DISPATCH_ALL(srcDtype, "Cast", castFrom<T>(ctx, dstDtype, out, static_cast<const T*>(x), n, grid));
  checkLaunch("Cast");
}

namespace {

/**
 * Where the last dim is contiguous on both sides (slices along the last axis, Concat's pieces, plain copies), each
 * run of elements moves as the widest word — 16, 8 or 4 bytes — that divides the run's length and every byte offset
 * and stride: the copy's shape is rewritten in those words (one index computation per word instead of per element,
 * 16-byte transactions for bf16 rows). Buffers come from the allocator's blocks, aligned far beyond 16 bytes.
 */
int widestWord(int elemSize, const Shape& shape, const Strides& ss, int64_t srcOffset, const Strides& ds,
               int64_t dstOffset) {
  const int last = shape.rank - 1;
  if (last < 0 || ss.s[last] != 1 || ds.s[last] != 1) return elemSize;
  auto gcd = [](int64_t a, int64_t b) {
    a = a < 0 ? -a : a;
    b = b < 0 ? -b : b;
    while (b != 0) {
      int64_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  int64_t g = shape.dim[last] * elemSize;
  g = gcd(g, srcOffset * elemSize);
  g = gcd(g, dstOffset * elemSize);
  for (int d = 0; d < last; ++d) {
    if (shape.dim[d] == 1) continue;  // its stride is never used
    g = gcd(g, ss.s[d] * elemSize);
    g = gcd(g, ds.s[d] * elemSize);
  }
  for (int w : {16, 8, 4})
    if (w > elemSize && g % w == 0) return w;
  return elemSize;
}

/** Rewrites the copy in words of `word` bytes (one that widestWord allows, or a divisor of it). */
void toWords(int word, int elemSize, Shape& shape, Strides& ss, int64_t& srcOffset, Strides& ds, int64_t& dstOffset) {
  const int64_t r = word / elemSize;
  if (r == 1) return;
  const int last = shape.rank - 1;
  shape.dim[last] /= r;
  for (int d = 0; d < last; ++d) {
    ss.s[d] /= r;
    ds.s[d] /= r;
  }
  srcOffset /= r;
  dstOffset /= r;
}

int widenToWords(int elemSize, Shape& shape, Strides& ss, int64_t& srcOffset, Strides& ds, int64_t& dstOffset) {
  const int word = widestWord(elemSize, shape, ss, srcOffset, ds, dstOffset);
  toWords(word, elemSize, shape, ss, srcOffset, ds, dstOffset);
  return word;
}

/** Runs f(tag) with `tag` a value of the unsigned word type of `word` bytes. */
template <typename F>
void withWordType(int word, int elemSize, const char* what, F&& f) {
  switch (word) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    case 8:
      return f(uint2{});
    case 16:
      return f(uint4{});
    default:
      throw Error(std::string(what) + ": element size " + std::to_string(elemSize) + " is not supported");
  }
}

/**
 * Whether the copy is rows of contiguous words: with the size-1 dims dropped and each dim merged into the next where
 * both operands step over it as one run (stride = next stride × next size), one dim of width words (a plain copy:
 * one row) or two with unit last strides. Sets the width and the two row strides (the row count is n / width).
 */
bool rowsOf(const Shape& shape, const Strides& ss, const Strides& ds, int64_t& width, int64_t& srcRowStride,
            int64_t& dstRowStride) {
  int64_t dim[kMaxRank], sS[kMaxRank], dS[kMaxRank];
  int r = 0;
  for (int k = 0; k < shape.rank; ++k) {
    if (shape.dim[k] == 1) continue;
    if (r > 0 && sS[r - 1] == ss.s[k] * shape.dim[k] && dS[r - 1] == ds.s[k] * shape.dim[k]) {
      dim[r - 1] *= shape.dim[k];  // the previous dim and this one are one run on both sides
      sS[r - 1] = ss.s[k];
      dS[r - 1] = ds.s[k];
      continue;
    }
    dim[r] = shape.dim[k];
    sS[r] = ss.s[k];
    dS[r] = ds.s[k];
    ++r;
  }
  if (r == 0 || r > 2 || sS[r - 1] != 1 || dS[r - 1] != 1) return false;
  width = dim[r - 1];
  srcRowStride = r == 2 ? sS[0] : width;
  dstRowStride = r == 2 ? dS[0] : width;
  return srcRowStride >= 0 && dstRowStride >= 0;
}

/** The lowest and highest offsets (in words) a strided copy writes. */
void writtenSpan(const Shape& shape, const Strides& ds, int64_t dstOffset, int64_t& lo, int64_t& hi) {
  lo = hi = dstOffset;
  for (int k = 0; k < shape.rank; ++k) {
    const int64_t span = (shape.dim[k] - 1) * ds.s[k];
    (span < 0 ? lo : hi) += span;
  }
}

}  // namespace

void launchStridedCopy(Ctx& ctx, int elemSize, void* dst, const void* src, const Shape& shapeIn,
                       const Strides& srcStridesIn, int64_t srcOffsetIn, const Strides& dstStridesIn,
                       int64_t dstOffsetIn) {
  Shape shape = shapeIn;
  Strides srcStrides = srcStridesIn, dstStrides = dstStridesIn;
  int64_t srcOffset = srcOffsetIn, dstOffset = dstOffsetIn;
  for (int d = 0; d < shape.rank; ++d)
    if (shape.dim[d] == 0) return;
  const int word = widenToWords(elemSize, shape, srcStrides, srcOffset, dstStrides, dstOffset);
  int64_t n = 1, maxSrc = srcOffset, maxDst = dstOffset;
  for (int d = 0; d < shape.rank; ++d) {
    n *= shape.dim[d];
    maxSrc += (shape.dim[d] - 1) * srcStrides.s[d];
    maxDst += (shape.dim[d] - 1) * dstStrides.s[d];
  }
  if (n == 0) return;
  const bool small = n < (int64_t(1) << 31) && maxSrc < (int64_t(1) << 31) && maxDst < (int64_t(1) << 31);
  unsigned grid = gridFor(n, kThreads, ctx);
  int64_t width, srcRowStride, dstRowStride;
  const bool asRows = small && srcOffset >= 0 && dstOffset >= 0 &&
                      rowsOf(shape, srcStrides, dstStrides, width, srcRowStride, dstRowStride);
  withWordType(word, elemSize, "strided copy", [&](auto tag) {
    using W = decltype(tag);
    W* d = static_cast<W*>(dst);
    const W* s = static_cast<const W*>(src);
    if (asRows)  // a quarter of the threads: each moves four words, all four loads in flight
      launchPdl(ctx, "strided copy", rowCopyKernel<W>, dim3(gridFor((n + 3) / 4, kThreads, ctx)), dim3(kThreads), 0,
                d + dstOffset, s + srcOffset, uint32_t(n), uint32_t(width), uint32_t(srcRowStride),
                uint32_t(dstRowStride));
    else if (small)
      launchPdl(ctx, "strided copy", stridedCopyKernel<W, uint32_t>, dim3(grid), dim3(kThreads), 0, d, s,
                uint32_t(n), shape, srcStrides, srcOffset, dstStrides, dstOffset);
    else
      launchPdl(ctx, "strided copy", stridedCopyKernel<W, int64_t>, dim3(grid), dim3(kThreads), 0, d, s, n, shape,
                srcStrides, srcOffset, dstStrides, dstOffset);
    // The call's only stream work: it writes the words between the lowest and the highest destination offset.
    int64_t lo, hi;
    writtenSpan(shape, dstStrides, dstOffset, lo, hi);
    ctx.lastWrites.only(d + lo, size_t(hi - lo + 1) * sizeof(W));
  });
}

void launchConcat(Ctx& ctx, int elemSize, void* dst, const ConcatPiece* pieces, int count) {
  if (count < 1 || count > kMaxConcatPieces)
    throw Error("Concat: " + std::to_string(count) + " pieces in one launch (1 to " +
                std::to_string(kMaxConcatPieces) + ")");
  // Every piece in the widest word all of them allow (bf16 rows of 512 and 1536 values: 16-byte words).
  ConcatPiece p[kMaxConcatPieces];
  int used = 0, word = 16;
  for (int k = 0; k < count; ++k) {
    int64_t n = 1;
    for (int d = 0; d < pieces[k].shape.rank; ++d) n *= pieces[k].shape.dim[d];
    if (n == 0) continue;
    p[used] = pieces[k];
    const int w = widestWord(elemSize, p[used].shape, p[used].srcStrides, 0, p[used].dstStrides, p[used].dstOffset);
    if (w < word) word = w;
    ++used;
  }
  if (used == 0) return;
  int64_t maxN = 0, lo = INT64_MAX, hi = INT64_MIN;
  bool small = true;
  for (int k = 0; k < used; ++k) {
    int64_t srcOffset = 0;
    toWords(word, elemSize, p[k].shape, p[k].srcStrides, srcOffset, p[k].dstStrides, p[k].dstOffset);
    int64_t n = 1, maxSrc = 0, maxDst = 0, pieceLo, pieceHi;
    for (int d = 0; d < p[k].shape.rank; ++d) {
      n *= p[k].shape.dim[d];
      maxSrc += (p[k].shape.dim[d] - 1) * p[k].srcStrides.s[d];
      maxDst += (p[k].shape.dim[d] - 1) * p[k].dstStrides.s[d];
    }
    small = small && n < (int64_t(1) << 31) && maxSrc < (int64_t(1) << 31) && maxDst < (int64_t(1) << 31);
    maxN = n > maxN ? n : maxN;
    writtenSpan(p[k].shape, p[k].dstStrides, p[k].dstOffset, pieceLo, pieceHi);
    lo = pieceLo < lo ? pieceLo : lo;
    hi = pieceHi > hi ? pieceHi : hi;
  }
  const dim3 grid(gridFor(maxN, kThreads, ctx), static_cast<unsigned>(used));
  withWordType(word, elemSize, "Concat", [&](auto tag) {
    using W = decltype(tag);
    auto run = [&](auto idx) {
      using Idx = decltype(idx);
      ConcatWords<W, Idx> words{};
      for (int k = 0; k < used; ++k) {
        words.src[k] = static_cast<const W*>(p[k].src);
        words.n[k] = 1;
        for (int d = 0; d < p[k].shape.rank; ++d) words.n[k] *= static_cast<Idx>(p[k].shape.dim[d]);
        words.shape[k] = p[k].shape;
        words.ss[k] = p[k].srcStrides;
        words.ds[k] = p[k].dstStrides;
        words.dstOffset[k] = p[k].dstOffset;
      }
      launchPdl(ctx, "Concat", concatKernel<W, Idx>, grid, dim3(kThreads), 0, static_cast<W*>(dst), words);
    };
    if (small)
      run(uint32_t{});
    else
      run(int64_t{});
    // The call's only stream work: it writes the words between the pieces' lowest and highest offsets.
    ctx.lastWrites.only(static_cast<W*>(dst) + lo, size_t(hi - lo + 1) * sizeof(W));
  });
}

void launchFill(Ctx& ctx, int elemSize, void* out, int64_t n, uint32_t bits) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  switch (elemSize) {
    case 1:
      fillKernel<uint8_t><<<grid, kThreads, 0, ctx.stream>>>(static_cast<uint8_t*>(out), n, uint8_t(bits));
      break;
    case 2:
      fillKernel<uint16_t><<<grid, kThreads, 0, ctx.stream>>>(static_cast<uint16_t*>(out), n, uint16_t(bits));
      break;
    case 4:
      fillKernel<uint32_t><<<grid, kThreads, 0, ctx.stream>>>(static_cast<uint32_t*>(out), n, bits);
      break;
    default:
      throw Error("Fill: element size " + std::to_string(elemSize) + " is not supported");
  }
  checkLaunch("Fill");
}

void launchGather(Ctx& ctx, int elemSize, void* out, const void* table, const int32_t* indices, int64_t count,
                  int64_t rowSize, int64_t numRows) {
  const int64_t n = count * rowSize;
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  auto run = [&](auto tag) {
    using W = decltype(tag);
    launchPdl(ctx, "Gather", gatherKernel<W>, dim3(grid), dim3(kThreads), 0, static_cast<W*>(out),
              static_cast<const W*>(table), indices, count, rowSize, numRows, ctx.errDevice);
    // The call's only stream work (the error slot is host memory, not tracked: nothing reads it before a wait).
    ctx.lastWrites.only(out, size_t(n) * sizeof(W));
  };
  switch (elemSize) {
    case 1:
      run(uint8_t{});
      break;
    case 2:
      run(uint16_t{});
      break;
    case 4:
      run(uint32_t{});
      break;
    default:
      throw Error("Gather: element size " + std::to_string(elemSize) + " is not supported");
  }
  checkLaunch("Gather");
}

void launchScatterAdd(Ctx& ctx, int dtype, void* out, const void* updates, const int32_t* indices, int64_t count,
                      int64_t rowSize, int64_t numRows) {
  const int64_t outCount = numRows * rowSize;
  const int64_t n = count * rowSize;
  if (outCount == 0) return;
  unsigned grid = gridFor(n > 0 ? n : 1, kThreads, ctx);
  if (dtype == I32) {
    FH_CHECK(cudaMemsetAsync(out, 0, outCount * sizeof(int32_t), ctx.stream));
    if (n > 0)
      scatterAddIntKernel<<<grid, kThreads, 0, ctx.stream>>>(static_cast<int32_t*>(out),
                                                             static_cast<const int32_t*>(updates), indices, count,
                                                             rowSize, numRows, ctx.errDevice);
  } else if (dtype == F32) {
    FH_CHECK(cudaMemsetAsync(out, 0, outCount * sizeof(float), ctx.stream));
    if (n > 0)
      scatterAddFloatKernel<float><<<grid, kThreads, 0, ctx.stream>>>(
          static_cast<float*>(out), static_cast<const float*>(updates), indices, count, rowSize, numRows,
          ctx.errDevice);
  } else {
    Scratch acc(*ctx.alloc, outCount * sizeof(float));
    FH_CHECK(cudaMemsetAsync(acc.as<float>(), 0, outCount * sizeof(float), ctx.stream));
    FH_DISPATCH_FLOAT(dtype, "ScatterAdd", {
      if (n > 0)
        scatterAddFloatKernel<T><<<grid, kThreads, 0, ctx.stream>>>(acc.as<float>(), static_cast<const T*>(updates),
                                                                    indices, count, rowSize, numRows, ctx.errDevice);
    });
    checkLaunch("ScatterAdd");
    launchCast(ctx, F32, dtype, out, acc.as<float>(), outCount);
  }
  checkLaunch("ScatterAdd");
}

}  // namespace fh
