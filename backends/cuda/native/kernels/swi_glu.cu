/*
 * swi_glu.cu — SwiGlu (+Grad) and SwiGluPacked: y = up · silu(gate · m), elementwise with 16-bit storage and f32
 * arithmetic, one rounding per stored value; SwiGluPacked reads gate and up as the halves of each row of one packed
 * [gate; up] projection (a decode step's gate_proj and up_proj as one product). Memory-bound: one pass reads gate
 * and up and writes y (the composition makes three passes and two temporaries), the backward reads dy, gate, up
 * once and writes both gradients. The forwards (a decode step's) are Programmatic-Dependent-Launch kernels
 * (pdl_launch.cuh): each waits first.
 */
#include <cstring>
#include <initializer_list>

#include "common.cuh"
#include "pdl_launch.cuh"
#include "swi_glu.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void swiGluKernel(T* __restrict__ y, const T* __restrict__ gate, const T* __restrict__ up, int64_t n,
                             float m) {
  pdl::waitForPredecessor();  // gate and up are the previous kernels' outputs
  pdl::allowDependents();
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    y[i] = fromF<T>(toF<T>(up[i]) * siluF(toF<T>(gate[i]) * m));
  }
}

// SwiGluPacked: row r of gateUp [rows, 2I] holds gate then up; y [rows, I]. The same arithmetic as swiGluKernel on
// the two halves (bit-identical to SwiGlu of gate and up), so a decode step's gate_proj and up_proj can be one product.
template <typename T>
__global__ void swiGluPackedKernel(T* __restrict__ y, const T* __restrict__ gateUp, int64_t n, int64_t inner,
                                   float m) {
  pdl::waitForPredecessor();  // gateUp is the previous kernel's output (the packed projection)
  pdl::allowDependents();
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t g = i + (i / inner) * inner;  // row · 2I + column
    y[i] = fromF<T>(toF<T>(gateUp[g + inner]) * siluF(toF<T>(gateUp[g]) * m));
  }
}

template <typename T>
__global__ void swiGluGradKernel(T* __restrict__ dgate, T* __restrict__ dup, const T* __restrict__ dy,
                                 const T* __restrict__ gate, const T* __restrict__ up, int64_t n, float m) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float a = toF<T>(gate[i]) * m;
    const float d = toF<T>(dy[i]);
    dup[i] = fromF<T>(d * siluF(a));
    dgate[i] = fromF<T>(d * toF<T>(up[i]) * siluGradF(a) * m);
  }
}

/**
 * The same kernels 16 bytes at a time (8 bf16/f16 or 4 f32 values per load): where every row, offset and pointer is a
 * multiple of 16 bytes — a prefill's or training step's [T, I] activations — one vector load per operand instead of
 * one scalar load per value, and no 64-bit division per value. Each value is the scalar kernel's, to the bit.
 */
template <typename T>
struct Vec16Values {
  static constexpr int kCount = 16 / sizeof(T);
  T v[kCount];
};

template <typename T>
__device__ __forceinline__ Vec16Values<T> load16(const T* p, int64_t vec) {
  const uint4 raw = reinterpret_cast<const uint4*>(p)[vec];
  Vec16Values<T> out;
  memcpy(out.v, &raw, 16);
  return out;
}

template <typename T>
__device__ __forceinline__ void store16(T* p, int64_t vec, const Vec16Values<T>& values) {
  uint4 raw;
  memcpy(&raw, values.v, 16);
  reinterpret_cast<uint4*>(p)[vec] = raw;
}

/** One vector of y = up · silu(gate · m): the scalar kernels' expression per value. */
template <typename T>
__device__ __forceinline__ Vec16Values<T> swiGluVector(const Vec16Values<T>& g, const Vec16Values<T>& u, float m) {
  Vec16Values<T> out;
#pragma unroll
  for (int e = 0; e < Vec16Values<T>::kCount; ++e) out.v[e] = fromF<T>(toF<T>(u.v[e]) * siluF(toF<T>(g.v[e]) * m));
  return out;
}

template <typename T>
__global__ void swiGluVecKernel(T* __restrict__ y, const T* __restrict__ gate, const T* __restrict__ up, int64_t nVec,
                                float m) {
  pdl::waitForPredecessor();
  pdl::allowDependents();
  for (int64_t v = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; v < nVec; v += int64_t(gridDim.x) * blockDim.x) {
    store16(y, v, swiGluVector(load16(gate, v), load16(up, v), m));
  }
}

/** SwiGluPacked by vectors: innerVec vectors per row of y, 2·innerVec per row of gateUp; n · innerVec < 2³¹. */
template <typename T>
__global__ void swiGluPackedVecKernel(T* __restrict__ y, const T* __restrict__ gateUp, uint32_t nVec,
                                      uint32_t innerVec, float m) {
  pdl::waitForPredecessor();
  pdl::allowDependents();
  for (uint32_t v = blockIdx.x * blockDim.x + threadIdx.x; v < nVec; v += gridDim.x * blockDim.x) {
    const uint32_t row = v / innerVec;
    const int64_t gv = int64_t(v) + int64_t(row) * innerVec;  // row · 2·innerVec + column
    store16(y, v, swiGluVector(load16(gateUp, gv), load16(gateUp, gv + innerVec), m));
  }
}

template <typename T>
__global__ void swiGluGradVecKernel(T* __restrict__ dgate, T* __restrict__ dup, const T* __restrict__ dy,
                                    const T* __restrict__ gate, const T* __restrict__ up, int64_t nVec, float m) {
  for (int64_t v = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; v < nVec; v += int64_t(gridDim.x) * blockDim.x) {
    const Vec16Values<T> g = load16(gate, v), u = load16(up, v), d = load16(dy, v);
    Vec16Values<T> dg, du;
#pragma unroll
    for (int e = 0; e < Vec16Values<T>::kCount; ++e) {
      const float a = toF<T>(g.v[e]) * m;
      const float dv = toF<T>(d.v[e]);
      du.v[e] = fromF<T>(dv * siluF(a));
      dg.v[e] = fromF<T>(dv * toF<T>(u.v[e]) * siluGradF(a) * m);
    }
    store16(dup, v, du);
    store16(dgate, v, dg);
  }
}

/** Whether n values of T at every pointer in `ptrs` can be read as 16-byte vectors. */
inline bool vectorizable(size_t elemSize, int64_t n, std::initializer_list<const void*> ptrs) {
  if ((static_cast<uint64_t>(n) * elemSize) % 16 != 0) return false;
  for (const void* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

}  // namespace

void launchSwiGlu(Ctx& ctx, int dtype, void* y, const void* gate, const void* up, int64_t n, float m) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGlu", {
    if (vectorizable(sizeof(T), n, {y, gate, up})) {
      const int64_t nVec = n * int64_t(sizeof(T)) / 16;
      launchPdl(ctx, "SwiGlu", swiGluVecKernel<T>, dim3(gridFor(nVec, 256, ctx)), dim3(256), 0, static_cast<T*>(y),
                static_cast<const T*>(gate), static_cast<const T*>(up), nVec, m);
    } else {
      launchPdl(ctx, "SwiGlu", swiGluKernel<T>, dim3(gridFor(n, 256, ctx)), dim3(256), 0, static_cast<T*>(y),
                static_cast<const T*>(gate), static_cast<const T*>(up), n, m);
    }
    ctx.lastWrites.only(y, size_t(n) * sizeof(T));  // the call's only stream work
  });
}

void launchSwiGluPacked(Ctx& ctx, int dtype, void* y, const void* gateUp, int64_t rows, int64_t inner, float m) {
  const int64_t n = rows * inner;
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGluPacked", {
    const int64_t nVec = n * int64_t(sizeof(T)) / 16, innerVec = inner * int64_t(sizeof(T)) / 16;
    if (vectorizable(sizeof(T), inner, {y, gateUp}) && 2 * nVec < (int64_t(1) << 31)) {
      launchPdl(ctx, "SwiGluPacked", swiGluPackedVecKernel<T>, dim3(gridFor(nVec, 256, ctx)), dim3(256), 0,
                static_cast<T*>(y), static_cast<const T*>(gateUp), uint32_t(nVec), uint32_t(innerVec), m);
    } else {
      launchPdl(ctx, "SwiGluPacked", swiGluPackedKernel<T>, dim3(gridFor(n, 256, ctx)), dim3(256), 0,
                static_cast<T*>(y), static_cast<const T*>(gateUp), n, inner, m);
    }
    ctx.lastWrites.only(y, size_t(n) * sizeof(T));  // the call's only stream work
  });
}

void launchSwiGluGrad(Ctx& ctx, int dtype, void* dgate, void* dup, const void* dy, const void* gate, const void* up,
                      int64_t n, float m) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGluGrad", {
    if (vectorizable(sizeof(T), n, {dgate, dup, dy, gate, up})) {
      const int64_t nVec = n * int64_t(sizeof(T)) / 16;
      swiGluGradVecKernel<T><<<gridFor(nVec, 256, ctx), 256, 0, ctx.stream>>>(
          static_cast<T*>(dgate), static_cast<T*>(dup), static_cast<const T*>(dy), static_cast<const T*>(gate),
          static_cast<const T*>(up), nVec, m);
    } else {
      swiGluGradKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
          static_cast<T*>(dgate), static_cast<T*>(dup), static_cast<const T*>(dy), static_cast<const T*>(gate),
          static_cast<const T*>(up), n, m);
    }
  });
  checkLaunch("SwiGluGrad");
}

}  // namespace fh
