/*
 * layout.cu — data movement: Cast, the strided copy (Slice, Transpose, Concat), Fill, Gather, ScatterAdd.
 *
 * Elements that only move are copied by width (1, 2 or 4 bytes, or as 8/16-byte words where runs are contiguous and
 * aligned), whatever their dtype. Cast follows the contract
 * bit for bit (round to nearest even through f32; truncate-and-wrap to integers; NaN/±Inf → 0).
 * Index checks that only the device can make (Gather/ScatterAdd) go to the error slot (fh.h) and surface as an
 * exception at the next readback or synchronize.
 */
#include <cmath>

#include "common.cuh"
#include "layout.cuh"

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

template <typename W, typename Idx>
__global__ void stridedCopyKernel(W* __restrict__ dst, const W* __restrict__ src, Idx n, Shape shape, Strides ss,
                                  int64_t srcOffset, Strides ds, int64_t dstOffset) {
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x) {
    Idx rem = i, so = 0, dso = 0;
    for (int d = shape.rank - 1; d >= 0; --d) {
      Idx dim = static_cast<Idx>(shape.dim[d]);
      Idx q = rem / dim;
      Idx c = rem - q * dim;
      so += c * static_cast<Idx>(ss.s[d]);
      dso += c * static_cast<Idx>(ds.s[d]);
      rem = q;
    }
    dst[dstOffset + dso] = src[srcOffset + so];
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
int widenToWords(int elemSize, Shape& shape, Strides& ss, int64_t& srcOffset, Strides& ds, int64_t& dstOffset) {
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
  int word = elemSize;
  for (int w : {16, 8, 4})
    if (w > elemSize && g % w == 0) {
      word = w;
      break;
    }
  const int64_t r = word / elemSize;
  if (r == 1) return elemSize;
  shape.dim[last] /= r;
  for (int d = 0; d < last; ++d) {
    ss.s[d] /= r;
    ds.s[d] /= r;
  }
  srcOffset /= r;
  dstOffset /= r;
  return word;
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
  auto run = [&](auto tag) {
    using W = decltype(tag);
    W* d = static_cast<W*>(dst);
    const W* s = static_cast<const W*>(src);
    if (small)
      stridedCopyKernel<W, uint32_t><<<grid, kThreads, 0, ctx.stream>>>(d, s, uint32_t(n), shape, srcStrides,
                                                                         srcOffset, dstStrides, dstOffset);
    else
      stridedCopyKernel<W, int64_t><<<grid, kThreads, 0, ctx.stream>>>(d, s, n, shape, srcStrides, srcOffset,
                                                                        dstStrides, dstOffset);
  };
  switch (word) {
    case 1:
      run(uint8_t{});
      break;
    case 2:
      run(uint16_t{});
      break;
    case 4:
      run(uint32_t{});
      break;
    case 8:
      run(uint2{});
      break;
    case 16:
      run(uint4{});
      break;
    default:
      throw Error("strided copy: element size " + std::to_string(elemSize) + " is not supported");
  }
  checkLaunch("strided copy");
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
    gatherKernel<W><<<grid, kThreads, 0, ctx.stream>>>(static_cast<W*>(out), static_cast<const W*>(table), indices,
                                                       count, rowSize, numRows, ctx.errDevice);
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
