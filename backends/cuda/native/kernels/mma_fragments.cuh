/*
 * mma_fragments.cuh — the tensor-core building blocks the attention kernels share (attention_tc.cu for prefill and
 * training, attention_decode_step.cu for decode): cp.async copies, ldmatrix loads of mma.sync.m16n8k16 operands
 * from padded shared-memory tiles (".trans" where a tile is stored k-major), the 16-bit mma itself (f32
 * accumulation), and the quad reductions over the four lanes that hold one accumulator row.
 * Fragment layout of a 16×8 f32 accumulator c[4]: lane l holds rows l/4 (c[0], c[1]) and l/4 + 8 (c[2], c[3]),
 * columns 2·(l%4) and 2·(l%4) + 1.
 */
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

namespace fh {
namespace tc {

__device__ __forceinline__ uint32_t smemAddr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/** 16-byte global → shared copy; bytes = 0 fills the 16 shared bytes with zeros (src is not read). */
__device__ __forceinline__ void cpAsync16(void* dst, const void* src, bool valid) {
  const int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smemAddr(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/** Four 8×8 16-bit matrices; lane l gives the address of row l%8 of matrix l/8; register i holds matrix i. */
__device__ __forceinline__ void ldsm4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smemAddr(p)));
}
__device__ __forceinline__ void ldsm4t(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smemAddr(p)));
}

/** c (16×8, f32) += a (16×16) · b (16×8). */
template <typename T>
__device__ __forceinline__ void mma16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                                        uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/** Two f32 values rounded to T, packed (lo in the low half: the lower column of a fragment). */
template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

/** Accumulator tiles c[2kk], c[2kk+1] (16×16 of a 16×N row block) as the A operand of the next product. */
template <typename T>
__device__ __forceinline__ void accToA(uint32_t (&a)[4], const float (&c0)[4], const float (&c1)[4]) {
  a[0] = pack2<T>(c0[0], c0[1]);
  a[1] = pack2<T>(c0[2], c0[3]);
  a[2] = pack2<T>(c1[0], c1[1]);
  a[3] = pack2<T>(c1[2], c1[3]);
}

/** A operand (16×16) at rows row0.., columns col0.. of a row-major tile. */
template <int P, typename T>
__device__ __forceinline__ void loadA(uint32_t (&a)[4], const T* tile, int row0, int col0) {
  const int lane = threadIdx.x & 31;
  ldsm4(a, tile + (row0 + (lane & 7) + ((lane >> 3) & 1) * 8) * P + col0 + (lane >> 4) * 8);
}
/** A operand (16×16, rows = m) from a tile stored transposed ([k][m]): rows m0.., columns k0... */
template <int P, typename T>
__device__ __forceinline__ void loadAT(uint32_t (&a)[4], const T* tile, int m0, int k0) {
  const int lane = threadIdx.x & 31, mi = lane >> 3;
  ldsm4t(a, tile + (k0 + (lane & 7) + (mi >> 1) * 8) * P + m0 + (mi & 1) * 8);
}
/** B operands of two n8 tiles (n0.., n0+8..) × k16 (k0..) from a tile stored [n][k]: {b0,b1} then {b2,b3}. */
template <int P, typename T>
__device__ __forceinline__ void loadBNK(uint32_t (&b)[4], const T* tile, int n0, int k0) {
  const int lane = threadIdx.x & 31;
  ldsm4(b, tile + (n0 + (lane & 7) + (lane >> 4) * 8) * P + k0 + ((lane >> 3) & 1) * 8);
}
/** B operands of two n8 tiles (n0.., n0+8..) × k16 (k0..) from a tile stored [k][n] (ldmatrix.trans). */
template <int P, typename T>
__device__ __forceinline__ void loadBKN(uint32_t (&b)[4], const T* tile, int k0, int n0) {
  const int lane = threadIdx.x & 31;
  ldsm4t(b, tile + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * P + n0 + (lane >> 4) * 8);
}

/** c0 += a·B[n0..n0+8), c1 += a·B[n0+8..n0+16) over k0..k0+16, B read from a tile stored [n][k]. */
template <int P, typename T>
__device__ __forceinline__ void mmaNK(float (&c0)[4], float (&c1)[4], const uint32_t (&a)[4], const T* tile, int n0,
                                      int k0) {
  uint32_t bf[4];
  loadBNK<P>(bf, tile, n0, k0);
  mma16816<T>(c0, a, bf[0], bf[1]);
  mma16816<T>(c1, a, bf[2], bf[3]);
}
/** The same with B read from a tile stored [k][n]. */
template <int P, typename T>
__device__ __forceinline__ void mmaKN(float (&c0)[4], float (&c1)[4], const uint32_t (&a)[4], const T* tile, int k0,
                                      int n0) {
  uint32_t bf[4];
  loadBKN<P>(bf, tile, k0, n0);
  mma16816<T>(c0, a, bf[0], bf[1]);
  mma16816<T>(c1, a, bf[2], bf[3]);
}

/**
 * S = Q·Kᵀ for one key tile: s[kNT][4] (kNT n8 tiles of keys, 16 query rows) from the query's A fragments qf[kDK]
 * (kDK k16 steps across the head dim) and K stored [key][dim] with row pitch P. Shared by the prefill
 * (attention_tc.cu) and decode (attention_decode_step.cu) kernels.
 */
template <int P, typename T, int kNT, int kDK>
__device__ __forceinline__ void scoreTile(float (&s)[kNT][4], const uint32_t (&qf)[kDK][4], const T* kt) {
#pragma unroll
  for (int x = 0; x < kNT; ++x) s[x][0] = s[x][1] = s[x][2] = s[x][3] = 0.f;
#pragma unroll
  for (int kk = 0; kk < kDK; ++kk) {
#pragma unroll
    for (int np = 0; np < kNT / 2; ++np) mmaNK<P>(s[2 * np], s[2 * np + 1], qf[kk], kt, np * 16, kk * 16);
  }
}

/**
 * O += P·V for one key tile: the tile's probabilities s (scoreTile's layout after onlineSoftmaxTile) rounded to T as
 * the A operand, V stored [key][dim] with row pitch P, into the output accumulators acc[kDT] (n8 tiles of the head
 * dim). Shared by the prefill and decode kernels, as scoreTile.
 */
template <int P, typename T, int kNT, int kDT>
__device__ __forceinline__ void accumulatePV(float (&acc)[kDT][4], const float (&s)[kNT][4], const T* vt) {
#pragma unroll
  for (int kk = 0; kk < kNT / 2; ++kk) {
    uint32_t pa[4];
    accToA<T>(pa, s[2 * kk], s[2 * kk + 1]);
#pragma unroll
    for (int dp = 0; dp < kDT / 2; ++dp) mmaKN<P>(acc[2 * dp], acc[2 * dp + 1], pa, vt, kk * 16, dp * 16);
  }
}

__device__ __forceinline__ float quadMax(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quadSum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}


/**
 * FlashAttention's online softmax over one key tile held as accumulator fragments s[kNT][4] (16 rows: this lane's
 * rows quad and quad + 8, scores already scaled into the log2 domain, masked ones −∞): the running maxima m0/m1, the
 * per-lane partial sums l0/l1 (the quad adds them up at the end) and the output accumulators acc[kDT][4] rescaled,
 * s replaced by p = 2^{s − m}. Shared by the prefill (attention_tc.cu) and decode (attention_decode_step.cu) kernels.
 */
template <int kNT, int kDT>
__device__ __forceinline__ void onlineSoftmaxTile(float (&s)[kNT][4], float& m0, float& m1, float& l0, float& l1,
                                                  float (&acc)[kDT][4]) {
  float mx0 = m0, mx1 = m1;
#pragma unroll
  for (int x = 0; x < kNT; ++x) {
    mx0 = fmaxf(mx0, fmaxf(s[x][0], s[x][1]));
    mx1 = fmaxf(mx1, fmaxf(s[x][2], s[x][3]));
  }
  mx0 = quadMax(mx0);
  mx1 = quadMax(mx1);
  // A row with nothing visible yet keeps m = −∞; exponents then use 0 so that 2^{−∞−0} = 0, not NaN.
  const float use0 = mx0 == -INFINITY ? 0.f : mx0, use1 = mx1 == -INFINITY ? 0.f : mx1;
  const float corr0 = exp2f(m0 - use0), corr1 = exp2f(m1 - use1);
  m0 = mx0;
  m1 = mx1;
  float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
  for (int x = 0; x < kNT; ++x) {
    s[x][0] = exp2f(s[x][0] - use0);
    s[x][1] = exp2f(s[x][1] - use0);
    s[x][2] = exp2f(s[x][2] - use1);
    s[x][3] = exp2f(s[x][3] - use1);
    sum0 += s[x][0] + s[x][1];
    sum1 += s[x][2] + s[x][3];
  }
  l0 = l0 * corr0 + sum0;  // per-lane partial sums; the quad adds them up at the end
  l1 = l1 * corr1 + sum1;
#pragma unroll
  for (int x = 0; x < kDT; ++x) {
    acc[x][0] *= corr0;
    acc[x][1] *= corr0;
    acc[x][2] *= corr1;
    acc[x][3] *= corr1;
  }
}

}  // namespace tc
}  // namespace fh
