/*
 * fh.h — what every kernel of the falcon-h1 wasm backend shares: dtype codes, rounding to the 16-bit float
 * formats, SIMD128 math, and the parallel-for of the thread pool.
 *
 * Memory model (see ../README.md): every tensor is one block of the wasm heap. Float tensors are held in
 * *compute form*: f32 values, whatever their dtype — a bf16 or f16 tensor holds f32 values that are exactly
 * representable in its dtype (widened when written, narrowed when read). Kernels therefore read floats as
 * `const float *`, compute in f32 (or f64 where a long accumulation needs it) and round each stored element once
 * to the output's dtype with `fh_round` / `fh_round_array`. i32 tensors are int32_t, u8 tensors uint8_t.
 *
 * Conventions (llm.c): arguments go outputs, then inputs, then dimensions, then attributes. Every exported
 * symbol is named exactly after its kernel in packages/core-tensor/src/kernel-contract.ts (`Softmax`,
 * `SsmScanGrad`); helpers are prefixed `fh_`.
 */
#ifndef FH_H
#define FH_H

#include <emscripten.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wasm_simd128.h>

#define FH_EXPORT EMSCRIPTEN_KEEPALIVE
#define FH_INLINE static inline __attribute__((always_inline))

/* dtype codes, shared with src/dtype-codes.ts. Float codes double as the "round to" code of an output. */
enum { FH_F32 = 0, FH_BF16 = 1, FH_F16 = 2, FH_I32 = 3, FH_U8 = 4 };

/* ------------------------------------------------------------------------------------------------ rounding */

FH_INLINE uint32_t fh_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}
FH_INLINE float fh_from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}

/* f32 → nearest bf16 (round to nearest even; NaN stays a quiet NaN), returned as an f32 value. */
FH_INLINE float fh_round_bf16(float x) {
  uint32_t u = fh_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return fh_from_bits((u | 0x00400000u) & 0xffff0000u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return fh_from_bits(u & 0xffff0000u);
}

/* f32 → IEEE binary16 bits, round to nearest even, subnormals, overflow to infinity (as core's f32ToF16Bits). */
FH_INLINE uint16_t fh_f32_to_f16_bits(float value) {
  uint32_t x = fh_bits(value);
  uint32_t sign = (x >> 16) & 0x8000u;
  int exponent = (int)((x >> 23) & 0xffu);
  uint32_t mantissa = x & 0x7fffffu;
  if (exponent == 0xff) return (uint16_t)(sign | 0x7c00u | (mantissa ? 0x200u : 0u));
  int e = exponent - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mantissa |= 0x800000u;
    int shift = 14 - e;
    uint32_t halfway = 1u << (shift - 1);
    uint32_t rest = mantissa & ((1u << shift) - 1u);
    uint32_t m = mantissa >> shift;
    if (rest > halfway || (rest == halfway && (m & 1u))) m += 1;
    return (uint16_t)(sign | m);
  }
  uint32_t rest = mantissa & 0x1fffu;
  uint32_t bits = ((uint32_t)e << 10) | (mantissa >> 13);
  if (rest > 0x1000u || (rest == 0x1000u && (bits & 1u))) bits += 1;
  if ((bits >> 10) >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  return (uint16_t)(sign | bits);
}

FH_INLINE float fh_f16_bits_to_f32(uint16_t h) {
  uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
  uint32_t exponent = ((uint32_t)h >> 10) & 0x1fu;
  uint32_t mantissa = (uint32_t)h & 0x3ffu;
  if (exponent == 0) {
    float v = (float)mantissa * 5.9604644775390625e-8f; /* 2^-24 */
    return sign ? -v : v;
  }
  if (exponent == 0x1f) return fh_from_bits(sign | 0x7f800000u | (mantissa << 13));
  return fh_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

FH_INLINE float fh_round_f16(float x) { return fh_f16_bits_to_f32(fh_f32_to_f16_bits(x)); }

/* x rounded to the float dtype `rnd` (FH_F32: unchanged). */
FH_INLINE float fh_round(float x, int rnd) {
  if (rnd == FH_BF16) return fh_round_bf16(x);
  if (rnd == FH_F16) return fh_round_f16(x);
  return x;
}

/* bf16 rounding of four lanes at once. */
FH_INLINE v128_t fh_round_bf16_x4(v128_t x) {
  v128_t nan = wasm_f32x4_ne(x, x);
  v128_t u = wasm_i32x4_add(x, wasm_i32x4_add(wasm_i32x4_splat(0x7fff),
                                               wasm_v128_and(wasm_u32x4_shr(x, 16), wasm_i32x4_splat(1))));
  v128_t quiet = wasm_v128_or(x, wasm_i32x4_splat(0x00400000));
  return wasm_v128_and(wasm_v128_bitselect(quiet, u, nan), wasm_i32x4_splat((int32_t)0xffff0000u));
}

/* Rounds y[0..n) in place to the float dtype `rnd` (a no-op for FH_F32). */
void fh_round_array(float *y, size_t n, int rnd);

/* ---------------------------------------------------------------------------------------------- SIMD math */

FH_INLINE float fh_hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}
FH_INLINE float fh_hmax(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/*
 * e^x for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial (Cephes expf), 2^n built in
 * the exponent bits in two halves so that results down to the subnormal range are right. Relative error about
 * 1 ulp; e^x overflows to +inf above 88.72, underflows to 0 below −103.3; NaN gives NaN.
 */
FH_INLINE v128_t fh_exp_x4(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.7228391f);
  const v128_t lo = wasm_f32x4_splat(-103.972084f);
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  v128_t r2 = wasm_f32x4_mul(r, r);
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, r2), r), wasm_f32x4_splat(1.0f));
  /* 2^n = 2^n1 · 2^n2 with n1 = n/2 (each factor a normal float even when 2^n is subnormal). */
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  /* overflow → +inf, far underflow → 0, NaN → NaN */
  y = wasm_v128_bitselect(wasm_f32x4_splat(INFINITY), y, wasm_f32x4_gt(x, hi));
  y = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), y, wasm_f32x4_lt(x, lo));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

FH_INLINE float fh_exp(float x) { return wasm_f32x4_extract_lane(fh_exp_x4(wasm_f32x4_splat(x)), 0); }

/* σ(x) = 1/(1+e^−x) */
FH_INLINE v128_t fh_sigmoid_x4(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, fh_exp_x4(wasm_f32x4_neg(x))));
}
FH_INLINE float fh_sigmoid(float x) { return 1.0f / (1.0f + fh_exp(-x)); }
FH_INLINE v128_t fh_silu_x4(v128_t x) { return wasm_f32x4_mul(x, fh_sigmoid_x4(x)); }
FH_INLINE float fh_silu(float x) { return x * fh_sigmoid(x); }
/* d silu/dx = σ(x)·(1 + x·(1 − σ(x))) */
FH_INLINE float fh_silu_grad(float x) {
  float s = fh_sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}

/* ------------------------------------------------------------------------------------------- parallel for */

/* A task over the index range [begin, end). */
typedef void (*fh_task)(void *ctx, int begin, int end);

/*
 * Runs task(ctx, b, e) over [0, n) split into ranges of at least `grain` indices, on the thread pool (the
 * calling thread takes part). In the single-threaded build, and for small n, it is task(ctx, 0, n).
 */
void fh_parallel_for(int n, int grain, fh_task task, void *ctx);
/*
 * parallel_for sized by work: indices are grouped so that each piece carries at least FH_MIN_PIECE_WORK units
 * (≈ multiply-adds) — waking a thread costs tens of microseconds, and on a busy machine a descheduled worker
 * holding a tiny piece stalls the caller, so small problems stay on the calling thread.
 */
#define FH_MIN_PIECE_WORK 262144.0
static inline void fh_parallel_for_work(int n, double work_per_index, fh_task task, void *ctx) {
  double grain = FH_MIN_PIECE_WORK / (work_per_index > 1.0 ? work_per_index : 1.0);
  fh_parallel_for(n, grain >= n ? n : (grain < 1.0 ? 1 : (int)grain), task, ctx);
}
/* Threads the pool runs kernels on (1 in the single-threaded build). */
int fh_num_threads(void);
/* The index of the calling thread in the pool, 0 for the main thread (for per-thread scratch). */
int fh_thread_index(void);

/* --------------------------------------------------------------------------------------------- scratch */

/* malloc that reports failure to JavaScript instead of returning NULL silently (aborts the kernel call). */
void *fh_alloc(size_t bytes);
void fh_free(void *p);

/* ------------------------------------------------------------------------------------------------ GEMM */

/*
 * C[M×N] = A[M×K]·B[K×N] (accumulate: C +=). Element (i,k) of A is a[i·rsa + k·csa], (k,j) of B is b[k·rsb + j·csb],
 * C is row-major with row stride ldc. Register-blocked, cache-tiled, packed panels (gemm.c).
 */
void fh_gemm(int M, int N, int K, const float *a, long rsa, long csa, const float *b, long rsb, long csb, float *c,
             long ldc, int accumulate);
/* The same on the calling thread only (for kernels that already run inside a parallel task). */
void fh_gemm_serial(int M, int N, int K, const float *a, long rsa, long csa, const float *b, long rsb, long csb,
                    float *c, long ldc, int accumulate);

#endif
