/*
 * common.cuh — device-side helpers shared by every kernel file: loading any storage dtype as f32 (or as itself
 * for integers), storing an f32/f64 result with one round-to-nearest-even (16-bit values go through f32, as the
 * contract says), strided index arithmetic, warp/block reductions, the Programmatic Dependent Launch wait and
 * trigger, and the dtype dispatch macros.
 */
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "../src/allocator.h"
#include "../src/fh.h"

namespace fh {

// ---------------------------------------------------------------------------------------------- loads, stores
template <typename T>
__device__ __forceinline__ float toF(T v);
template <>
__device__ __forceinline__ float toF<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ float toF<__half>(__half v) {
  return __half2float(v);
}
template <>
__device__ __forceinline__ float toF<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <>
__device__ __forceinline__ float toF<int32_t>(int32_t v) {
  return static_cast<float>(v);
}
template <>
__device__ __forceinline__ float toF<uint8_t>(uint8_t v) {
  return static_cast<float>(v);
}

/** Rounds an f32 value to T once (float→int conversions are Cast's business, not this helper's). */
template <typename T>
__device__ __forceinline__ T fromF(float v);
template <>
__device__ __forceinline__ float fromF<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half fromF<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromF<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ int32_t fromF<int32_t>(float v) {
  return static_cast<int32_t>(v);
}
template <>
__device__ __forceinline__ uint8_t fromF<uint8_t>(float v) {
  return static_cast<uint8_t>(static_cast<int32_t>(v));
}

/** Rounds an f64 value to T through f32 (f64 → f32 round-to-nearest-even, then f32 → T). */
template <typename T>
__device__ __forceinline__ T fromD(double v) {
  return fromF<T>(__double2float_rn(v));
}

/** Rounds an f32 value to T's precision and back (RmsNorm rounds the normalised row before the weight). */
template <typename T>
__device__ __forceinline__ float roundTo(float v) {
  return toF<T>(fromF<T>(v));
}

// ---------------------------------------------------------------------------------------------- indexing
/** Offset of flat output index i in an operand with the given strides over `shape` (row-major decomposition). */
__device__ __forceinline__ int64_t stridedOffset(int64_t i, const Shape& shape, const Strides& st) {
  int64_t off = 0;
  for (int d = shape.rank - 1; d >= 0; --d) {
    int64_t n = shape.dim[d];
    int64_t q = i / n;
    off += (i - q * n) * st.s[d];
    i = q;
  }
  return off;
}

// ---------------------------------------------------------------------------------------------- reductions
__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warpSumD(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
/** max that propagates NaN (fmaxf would drop it). */
__device__ __forceinline__ float nanMax(float a, float b) {
  if (a != a || b != b) return __int_as_float(0x7fc00000);
  return fmaxf(a, b);
}
__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = nanMax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/** Sum over the block (every thread gets the result). `scratch` holds ≥ 32 floats; blockDim.x % 32 == 0. */
__device__ __forceinline__ float blockSum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpSum(v);
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = lane < warps ? scratch[lane] : 0.f;
  return warpSum(r);
}
__device__ __forceinline__ float blockMax(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpMax(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = lane < warps ? scratch[lane] : -INFINITY;
  return warpMax(r);
}

__device__ __forceinline__ float sigmoidF(float x) { return 1.f / (1.f + expf(-x)); }
__device__ __forceinline__ float siluF(float x) { return x * sigmoidF(x); }
/** d silu / dx = σ(x)·(1 + x·(1 − σ(x))). */
__device__ __forceinline__ float siluGradF(float x) {
  float s = sigmoidF(x);
  return s * (1.f + x * (1.f - s));
}

// ---------------------------------------------------------------------------------------------- PDL
/*
 * Programmatic Dependent Launch (sm_90+; why and how: pdl_launch.cuh). A kernel launched with launchPdl may start
 * while the kernel before it on the stream is still running, so it must call, in this order:
 *   waitForPredecessor()  before it reads anything another kernel may have written, and before it writes anything
 *                         (the predecessor may still read what it would overwrite);
 *   allowDependents()     only after its wait (it lets the next PDL kernel start).
 * INVARIANT that follows: when a PDL kernel starts, every kernel before it on the stream has completed except at most
 * its immediate predecessor, and that one only if it is itself a PDL kernel (a plain kernel triggers at completion).
 * So before the wait a kernel may read only what its immediate predecessor does not write (mat_vec.cu's weight
 * prefetch, decided on the host from ctx.lastWrites).
 * Both are no-ops below sm_90 (the sm_80 build) and in a kernel launched without the PDL attribute.
 */
namespace pdl {
__device__ __forceinline__ void waitForPredecessor() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void allowDependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
}  // namespace pdl

/** Records the first device-detected error (see fh.h ErrorSlot). */
__device__ __forceinline__ void reportError(ErrorSlot* slot, int code, int a, int b, int c) {
  if (slot == nullptr) return;
  if (atomicCAS(&slot->code, 0, -1) == 0) {
    slot->a = a;
    slot->b = b;
    slot->c = c;
    __threadfence_system();
    atomicExch(&slot->code, code);
  }
}

}  // namespace fh

// ---------------------------------------------------------------------------------------------- dispatch
/** Runs BODY with `T` bound to the storage type of a float dtype (f32, f16, bf16); others throw. */
#define FH_DISPATCH_FLOAT(DTYPE, WHAT, ...)                                                          \
  switch (DTYPE) {                                                                                   \
    case ::fh::F32: {                                                                                \
      using T = float;                                                                               \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::F16: {                                                                                \
      using T = __half;                                                                              \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::BF16: {                                                                               \
      using T = __nv_bfloat16;                                                                       \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    default:                                                                                         \
      throw ::fh::Error(std::string(WHAT) + ": dtype " + ::fh::dtypeName(DTYPE) + " is not supported"); \
  }

/** As FH_DISPATCH_FLOAT, plus i32. */
#define FH_DISPATCH_NUMERIC(DTYPE, WHAT, ...)                                                        \
  switch (DTYPE) {                                                                                   \
    case ::fh::F32: {                                                                                \
      using T = float;                                                                               \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::F16: {                                                                                \
      using T = __half;                                                                              \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::BF16: {                                                                               \
      using T = __nv_bfloat16;                                                                       \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::I32: {                                                                                \
      using T = int32_t;                                                                             \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    default:                                                                                         \
      throw ::fh::Error(std::string(WHAT) + ": dtype " + ::fh::dtypeName(DTYPE) + " is not supported"); \
  }

/** Every storage dtype (f32, f16, bf16, i32, u8). */
#define FH_DISPATCH_ALL(DTYPE, WHAT, ...)                                                            \
  switch (DTYPE) {                                                                                   \
    case ::fh::F32: {                                                                                \
      using T = float;                                                                               \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::F16: {                                                                                \
      using T = __half;                                                                              \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::BF16: {                                                                               \
      using T = __nv_bfloat16;                                                                       \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::I32: {                                                                                \
      using T = int32_t;                                                                             \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    case ::fh::U8: {                                                                                 \
      using T = uint8_t;                                                                             \
      __VA_ARGS__;                                                                                   \
      break;                                                                                         \
    }                                                                                                \
    default:                                                                                         \
      throw ::fh::Error(std::string(WHAT) + ": dtype " + ::fh::dtypeName(DTYPE) + " is not supported"); \
  }
