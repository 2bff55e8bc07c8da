/*
 * decode_gemm.cuh — what MatMul's decode-step kernels (mat_vec.cu: M ≤ 8 rows; skinny_gemm.cu: 9–64 rows, 16-bit)
 * share: their A/B switch, the operand layout they take and the streaming 16-byte load of the weight.
 * Included by .cu files only (nvcc).
 */
#pragma once

#include <cstdlib>
#include <string>

#include "mat_mul.cuh"

namespace fh {

/**
 * 16 bytes of a weight row. The weight is read once per call: it streams past L1 (no_allocate) so the activation
 * rows, re-read by every block, stay cached.
 */
__device__ __forceinline__ uint4 loadStreaming16(const void* p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

/** FALCON_H1_CUDA_GEMV=off routes every decode-shaped MatMul to cuBLASLt (A/B runs; the suite certifies both). */
inline bool decodeGemmOff() {
  static const bool off = [] {
    const char* v = std::getenv("FALCON_H1_CUDA_GEMV");
    return v != nullptr && std::string(v) == "off";
  }();
  return off;
}

/**
 * x·Wᵀ for one matrix: A [M, K] not transposed, B a Linear weight [N, K] (transposed), no batch, one outer batch,
 * and both operands' first elements and K·size 16-byte aligned, so every row of either is read with 16-byte loads.
 * Sets *pa / *pb to those first elements.
 */
inline bool linearOperands16(const GemmArgs& g, const void* a, const void* b, const int64_t* outerA,
                             const int64_t* outerB, int64_t outerCount, const void** pa, const void** pb) {
  if (g.transA || !g.transB || g.batch != 1 || outerCount != 1 || g.N < 1 || g.K < 1) return false;
  const size_t es = dtypeSize(g.dtype);
  *pa = static_cast<const char*>(a) + outerA[0] * es;
  *pb = static_cast<const char*>(b) + outerB[0] * es;
  const uint64_t aligned =
      reinterpret_cast<uint64_t>(*pa) | reinterpret_cast<uint64_t>(*pb) | static_cast<uint64_t>(g.K * es);
  return (aligned & 15u) == 0;
}

}  // namespace fh
