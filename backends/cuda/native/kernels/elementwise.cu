/*
 * elementwise.cu — the elementwise primitives.
 *
 *   Unary     y = f(x), f32 arithmetic (16-bit inputs widened, the result rounded once); i32 Neg/Abs wrap.
 *   Binary    y = a ∘ b over NumPy broadcasting: floats in f32; integers in i64 then wrapped to the storage
 *             width (Div truncates toward zero and x/0 = 0); Maximum/Minimum propagate NaN.
 *   Compare   u8 result, IEEE semantics (NaN compares false; NotEqual true).
 *   Where     y = c ? a : b, moved bit for bit.
 *   Scale     y = x·scale + shift in f64;  Clamp: y = min(max(x, lo), hi) in f64, NaN stays NaN.
 *
 * Broadcast operands are addressed through per-operand strides over the merged output shape; a 32-bit index path
 * is used whenever every offset fits.
 */
#include <cmath>

#include "common.cuh"
#include "elementwise.cuh"

namespace fh {

namespace {

constexpr int kThreads = 256;

template <typename T>
__device__ __forceinline__ T unaryFloat(int op, T xv) {
  float x = toF<T>(xv);
  float y;
  switch (op) {
    case kNeg:
      y = -x;
      break;
    case kAbs:
      y = fabsf(x);
      break;
    case kExp:
      y = expf(x);
      break;
    case kLog:
      y = logf(x);
      break;
    case kSqrt:
      y = sqrtf(x);
      break;
    case kRsqrt:
      y = 1.f / sqrtf(x);
      break;
    case kReciprocal:
      y = 1.f / x;
      break;
    case kSigmoid:
      y = sigmoidF(x);
      break;
    case kSilu:
      y = siluF(x);
      break;
    case kSoftplus:
      y = fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)));
      break;
    default:  // kTanh
      y = tanhf(x);
      break;
  }
  return fromF<T>(y);
}

template <typename T>
__global__ void unaryKernel(int op, T* __restrict__ out, const T* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = unaryFloat<T>(op, x[i]);
}

__global__ void unaryIntKernel(int op, int32_t* __restrict__ out, const int32_t* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t v = static_cast<uint32_t>(x[i]);
    uint32_t neg = 0u - v;
    out[i] = static_cast<int32_t>(op == kNeg ? neg : (x[i] < 0 ? neg : v));
  }
}

// Integer arithmetic of the contract: computed in i64, wrapped to the storage width.
template <typename T>
__device__ __forceinline__ T binaryInt(int op, T av, T bv) {
  int64_t a = av, b = bv, r;
  switch (op) {
    case kAdd:
      r = a + b;
      break;
    case kSub:
      r = a - b;
      break;
    case kMul:
      r = a * b;
      break;
    case kDiv:
      r = b == 0 ? 0 : a / b;
      break;
    case kMaximum:
      r = a > b ? a : b;
      break;
    default:
      r = a < b ? a : b;
      break;
  }
  return static_cast<T>(static_cast<uint64_t>(r));
}

template <typename T>
__device__ __forceinline__ T binaryOp(int op, T av, T bv) {
  float a = toF<T>(av), b = toF<T>(bv), r;
  switch (op) {
    case kAdd:
      r = a + b;
      break;
    case kSub:
      r = a - b;
      break;
    case kMul:
      r = a * b;
      break;
    case kDiv:
      r = a / b;
      break;
    case kMaximum:
      r = (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
      break;
    default:
      r = (a != a || b != b) ? __int_as_float(0x7fc00000) : fminf(a, b);
      break;
  }
  return fromF<T>(r);
}
template <>
__device__ __forceinline__ int32_t binaryOp<int32_t>(int op, int32_t a, int32_t b) {
  return binaryInt<int32_t>(op, a, b);
}
template <>
__device__ __forceinline__ uint8_t binaryOp<uint8_t>(int op, uint8_t a, uint8_t b) {
  return binaryInt<uint8_t>(op, a, b);
}

template <typename T>
__device__ __forceinline__ bool compareOp(int op, T av, T bv);
#define FH_COMPARE_BODY            \
  switch (op) {                    \
    case kEqual:                   \
      return a == b;               \
    case kNotEqual:                \
      return a != b;               \
    case kLess:                    \
      return a < b;                \
    case kLessEqual:               \
      return a <= b;               \
    case kGreater:                 \
      return a > b;                \
    default:                       \
      return a >= b;               \
  }
template <typename T>
__device__ __forceinline__ bool compareOp(int op, T av, T bv) {
  float a = toF<T>(av), b = toF<T>(bv);
  FH_COMPARE_BODY
}
template <>
__device__ __forceinline__ bool compareOp<int32_t>(int op, int32_t a, int32_t b) {
  FH_COMPARE_BODY
}
template <>
__device__ __forceinline__ bool compareOp<uint8_t>(int op, uint8_t a, uint8_t b) {
  FH_COMPARE_BODY
}

/** Offset of flat index i for an operand (32-bit path). */
__device__ __forceinline__ uint32_t offset32(uint32_t i, const Shape& shape, const Strides& st) {
  uint32_t off = 0;
  for (int d = shape.rank - 1; d >= 0; --d) {
    uint32_t n = static_cast<uint32_t>(shape.dim[d]);
    uint32_t q = i / n;
    off += (i - q * n) * static_cast<uint32_t>(st.s[d]);
    i = q;
  }
  return off;
}

template <typename Idx>
__device__ __forceinline__ Idx offsetOf(Idx i, const Shape& shape, const Strides& st);
template <>
__device__ __forceinline__ uint32_t offsetOf<uint32_t>(uint32_t i, const Shape& shape, const Strides& st) {
  return offset32(i, shape, st);
}
template <>
__device__ __forceinline__ int64_t offsetOf<int64_t>(int64_t i, const Shape& shape, const Strides& st) {
  return stridedOffset(i, shape, st);
}

template <typename T, typename Idx>
__global__ void binaryKernel(int op, T* __restrict__ out, const T* __restrict__ a, const T* __restrict__ b, Idx n,
                             Shape shape, Strides sa, Strides sb) {
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x)
    out[i] = binaryOp<T>(op, a[offsetOf<Idx>(i, shape, sa)], b[offsetOf<Idx>(i, shape, sb)]);
}

template <typename T>
__global__ void binaryContiguousKernel(int op, T* __restrict__ out, const T* __restrict__ a, const T* __restrict__ b,
                                       int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = binaryOp<T>(op, a[i], b[i]);
}

template <typename T, typename Idx>
__global__ void compareKernel(int op, uint8_t* __restrict__ out, const T* __restrict__ a, const T* __restrict__ b,
                              Idx n, Shape shape, Strides sa, Strides sb) {
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x)
    out[i] = compareOp<T>(op, a[offsetOf<Idx>(i, shape, sa)], b[offsetOf<Idx>(i, shape, sb)]) ? 1 : 0;
}

template <typename W, typename Idx>
__global__ void whereKernel(W* __restrict__ out, const uint8_t* __restrict__ c, const W* __restrict__ a,
                            const W* __restrict__ b, Idx n, Shape shape, Strides sc, Strides sa, Strides sb) {
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x)
    out[i] = c[offsetOf<Idx>(i, shape, sc)] != 0 ? a[offsetOf<Idx>(i, shape, sa)] : b[offsetOf<Idx>(i, shape, sb)];
}

/**
 * Where's fast paths for the common layouts, where the generic kernel spends its time on index arithmetic (one
 * division per dimension and operand per element). The merged layout's last dim is `inner`; every operand's stride
 * along it is 0 (broadcast) or 1 (contiguous). Rank 1: one flat loop. Otherwise one row of `inner` elements per block
 * iteration, the row's three offsets computed once and the threads striding along the row (coalesced).
 */
template <typename W, typename Idx>
__global__ void whereFlatKernel(W* __restrict__ out, const uint8_t* __restrict__ c, const W* __restrict__ a,
                                const W* __restrict__ b, Idx n, Idx lc, Idx la, Idx lb) {
  for (Idx i = blockIdx.x * Idx(blockDim.x) + threadIdx.x; i < n; i += Idx(gridDim.x) * blockDim.x)
    out[i] = c[i * lc] != 0 ? a[i * la] : b[i * lb];
}

template <typename W, typename Idx>
__global__ void whereRowsKernel(W* __restrict__ out, const uint8_t* __restrict__ c, const W* __restrict__ a,
                                const W* __restrict__ b, Idx rows, Idx inner, Shape outer, Strides sc, Strides sa,
                                Strides sb, Idx lc, Idx la, Idx lb) {
  for (Idx r = blockIdx.x; r < rows; r += gridDim.x) {
    const Idx oc = Idx(stridedOffset(r, outer, sc)), oa = Idx(stridedOffset(r, outer, sa)),
              ob = Idx(stridedOffset(r, outer, sb));
    W* row = out + r * inner;
    if (lc == 0) {  // one condition for the whole row: a plain copy of a's or b's row
      const bool pick = c[oc] != 0;
      const W* src = pick ? a + oa : b + ob;
      const Idx ls = pick ? la : lb;
      for (Idx j = threadIdx.x; j < inner; j += blockDim.x) row[j] = src[j * ls];
    } else {
      for (Idx j = threadIdx.x; j < inner; j += blockDim.x) row[j] = c[oc + j] != 0 ? a[oa + j * la] : b[ob + j * lb];
    }
  }
}

template <typename T>
__global__ void scaleKernel(T* __restrict__ out, const T* __restrict__ x, int64_t n, double scale, double shift) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = fromD<T>(static_cast<double>(toF<T>(x[i])) * scale + shift);
}

template <typename T>
__global__ void clampKernel(T* __restrict__ out, const T* __restrict__ x, int64_t n, double lo, double hi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double v = toF<T>(x[i]);
    if (v == v) v = fmin(fmax(v, lo), hi);
    out[i] = fromD<T>(v);
  }
}

/** Whether every offset of every operand (and n) fits in 32 bits. */
bool fits32(int64_t n, const Shape& shape, std::initializer_list<const Strides*> strides) {
  if (n >= (int64_t(1) << 31)) return false;
  for (const Strides* st : strides) {
    int64_t maxOff = 0;
    for (int d = 0; d < shape.rank; ++d) maxOff += (shape.dim[d] - 1) * st->s[d];
    if (maxOff >= (int64_t(1) << 31)) return false;
  }
  return true;
}

bool isContiguous(const Shape& shape, const Strides& st) {
  int64_t expect = 1;
  for (int d = shape.rank - 1; d >= 0; --d) {
    if (shape.dim[d] != 1 && st.s[d] != expect) return false;
    expect *= shape.dim[d];
  }
  return true;
}

}  // namespace

void launchUnary(Ctx& ctx, int op, int dtype, void* out, const void* x, int64_t n) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  if (dtype == I32) {
    if (op != kNeg && op != kAbs) throw Error("unary kernel: i32 only supports Neg and Abs");
    unaryIntKernel<<<grid, kThreads, 0, ctx.stream>>>(op, static_cast<int32_t*>(out), static_cast<const int32_t*>(x),
                                                      n);
  } else {
    FH_DISPATCH_FLOAT(dtype, "unary kernel",
                      unaryKernel<T><<<grid, kThreads, 0, ctx.stream>>>(op, static_cast<T*>(out),
                                                                        static_cast<const T*>(x), n));
  }
  checkLaunch("unary");
}

void launchBinary(Ctx& ctx, int op, int dtype, void* out, const void* a, const void* b, int64_t n, const Shape& shape,
                  const Strides& sa, const Strides& sb) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  bool contiguous = isContiguous(shape, sa) && isContiguous(shape, sb);
  bool small = fits32(n, shape, {&sa, &sb});
  FH_DISPATCH_ALL(dtype, "binary kernel", {
    T* o = static_cast<T*>(out);
    const T* pa = static_cast<const T*>(a);
    const T* pb = static_cast<const T*>(b);
    if (contiguous)
      binaryContiguousKernel<T><<<grid, kThreads, 0, ctx.stream>>>(op, o, pa, pb, n);
    else if (small)
      binaryKernel<T, uint32_t><<<grid, kThreads, 0, ctx.stream>>>(op, o, pa, pb, uint32_t(n), shape, sa, sb);
    else
      binaryKernel<T, int64_t><<<grid, kThreads, 0, ctx.stream>>>(op, o, pa, pb, n, shape, sa, sb);
  });
  checkLaunch("binary");
}

void launchCompare(Ctx& ctx, int op, int dtype, uint8_t* out, const void* a, const void* b, int64_t n,
                   const Shape& shape, const Strides& sa, const Strides& sb) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  bool small = fits32(n, shape, {&sa, &sb});
  FH_DISPATCH_ALL(dtype, "compare kernel", {
    const T* pa = static_cast<const T*>(a);
    const T* pb = static_cast<const T*>(b);
    if (small)
      compareKernel<T, uint32_t><<<grid, kThreads, 0, ctx.stream>>>(op, out, pa, pb, uint32_t(n), shape, sa, sb);
    else
      compareKernel<T, int64_t><<<grid, kThreads, 0, ctx.stream>>>(op, out, pa, pb, n, shape, sa, sb);
  });
  checkLaunch("compare");
}

void launchWhere(Ctx& ctx, int dtype, void* out, const uint8_t* cond, const void* a, const void* b, int64_t n,
                 const Shape& shape, const Strides& sc, const Strides& sa, const Strides& sb) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  bool small = fits32(n, shape, {&sc, &sa, &sb});
  const int last = shape.rank - 1;
  const auto unitOrZero = [&](const Strides& st) { return st.s[last] == 0 || st.s[last] == 1; };
  const int64_t inner = shape.rank >= 1 ? shape.dim[last] : 1;  // rank 0: a single element (generic path)
  // Fast paths (see whereRowsKernel): contiguous or broadcast along the last dim, and rows long enough to fill a warp.
  const bool rowsFast =
      shape.rank >= 1 && small && unitOrZero(sc) && unitOrZero(sa) && unitOrZero(sb) && (shape.rank == 1 || inner >= 32);
  auto run = [&](auto tag) {
    using W = decltype(tag);
    W* o = static_cast<W*>(out);
    const W* pa = static_cast<const W*>(a);
    const W* pb = static_cast<const W*>(b);
    if (rowsFast && shape.rank == 1) {
      whereFlatKernel<W, uint32_t><<<grid, kThreads, 0, ctx.stream>>>(
          o, cond, pa, pb, uint32_t(n), uint32_t(sc.s[0]), uint32_t(sa.s[0]), uint32_t(sb.s[0]));
    } else if (rowsFast) {
      Shape outer = shape;
      outer.rank = last;
      const int64_t rows = n / inner;
      const int threads = inner >= 256 ? 256 : inner >= 128 ? 128 : inner >= 64 ? 64 : 32;
      const unsigned blocks = unsigned(rows < int64_t(ctx.smCount) * 64 ? rows : int64_t(ctx.smCount) * 64);
      whereRowsKernel<W, uint32_t><<<blocks, threads, 0, ctx.stream>>>(
          o, cond, pa, pb, uint32_t(rows), uint32_t(inner), outer, sc, sa, sb, uint32_t(sc.s[last]),
          uint32_t(sa.s[last]), uint32_t(sb.s[last]));
    } else if (small)
      whereKernel<W, uint32_t><<<grid, kThreads, 0, ctx.stream>>>(o, cond, pa, pb, uint32_t(n), shape, sc, sa, sb);
    else
      whereKernel<W, int64_t><<<grid, kThreads, 0, ctx.stream>>>(o, cond, pa, pb, n, shape, sc, sa, sb);
  };
  switch (dtypeSize(dtype)) {
    case 1:
      run(uint8_t{});
      break;
    case 2:
      run(uint16_t{});
      break;
    default:
      run(uint32_t{});
      break;
  }
  checkLaunch("Where");
}

void launchScale(Ctx& ctx, int dtype, void* out, const void* x, int64_t n, double scale, double shift) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  FH_DISPATCH_FLOAT(dtype, "Scale",
                    scaleKernel<T><<<grid, kThreads, 0, ctx.stream>>>(static_cast<T*>(out), static_cast<const T*>(x),
                                                                      n, scale, shift));
  checkLaunch("Scale");
}

void launchClamp(Ctx& ctx, int dtype, void* out, const void* x, int64_t n, double lo, double hi) {
  if (n == 0) return;
  unsigned grid = gridFor(n, kThreads, ctx);
  FH_DISPATCH_FLOAT(dtype, "Clamp",
                    clampKernel<T><<<grid, kThreads, 0, ctx.stream>>>(static_cast<T*>(out), static_cast<const T*>(x),
                                                                      n, lo, hi));
  checkLaunch("Clamp");
}

}  // namespace fh
