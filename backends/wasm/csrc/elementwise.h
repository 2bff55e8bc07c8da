/*
 * elementwise.h — the shared machinery of the one-line elementwise kernels (as tfjs-backend-cpu's unary/binary
 * utils): each kernel file (Exp.c, Add.c, Less.c ...) instantiates one of these macros with its operation.
 *
 * Broadcasting: the TypeScript side (src/broadcast.ts) collapses the output shape and passes an int32 `info`
 * block: [rank, shape[rank], strides of each input[rank]...] in elements, a stride of 0 where an input stretches.
 * The innermost axis is a row; rows run in parallel on the pool.
 */
#ifndef FH_ELEMENTWISE_H
#define FH_ELEMENTWISE_H

#include "fh.h"

/* A row of a broadcast binary op: y[i] = f(a[i·sa], b[i·sb]) for i < n; outputs rounded to `rnd` (floats). */
typedef void (*fh_row2)(void *y, const void *a, const void *b, int n, int sa, int sb, int rnd);
/* A row of a ternary op (Where). */
typedef void (*fh_row3)(void *y, const void *c, const void *a, const void *b, int n, int sc, int sa, int sb);

/* Runs `row` over every row of the broadcast output. ysize/asize/bsize: element sizes in bytes. */
void fh_broadcast2(void *y, int ysize, const void *a, int asize, const void *b, int bsize, const int *info, fh_row2 row,
                   int rnd);
void fh_broadcast3(void *y, int ysize, const void *c, const void *a, const void *b, int size, const int *info,
                   fh_row3 row);
/* Runs a contiguous elementwise body over [0, n) in parallel pieces: body(ctx, begin, end). */
void fh_elementwise(int n, fh_task body, void *ctx);

/*
 * Unary float kernel NAME: y = f(x) elementwise, f given as a SIMD expression VEXPR of `v` and a scalar
 * expression SEXPR of `s` (the tail). Exported as `void NAME(float *y, const float *x, int n, int rnd)`.
 */
#define FH_UNARY_FLOAT(NAME, VEXPR, SEXPR)                                                              \
  typedef struct {                                                                                      \
    float *y;                                                                                           \
    const float *x;                                                                                     \
    int rnd;                                                                                            \
  } NAME##_ctx;                                                                                         \
  static void NAME##_body(void *p, int begin, int end) {                                                \
    NAME##_ctx *c = (NAME##_ctx *)p;                                                                    \
    float *y = c->y;                                                                                    \
    const float *x = c->x;                                                                              \
    int i = begin;                                                                                      \
    for (; i + 4 <= end; i += 4) {                                                                      \
      v128_t v = wasm_v128_load(x + i);                                                                 \
      wasm_v128_store(y + i, (VEXPR));                                                                  \
    }                                                                                                   \
    for (; i < end; i++) {                                                                              \
      float s = x[i];                                                                                   \
      y[i] = (SEXPR);                                                                                   \
    }                                                                                                   \
    fh_round_array(y + begin, (size_t)(end - begin), c->rnd);                                           \
  }                                                                                                     \
  FH_EXPORT void NAME(float *y, const float *x, int n, int rnd) {                                       \
    NAME##_ctx c = {y, x, rnd};                                                                         \
    fh_elementwise(n, NAME##_body, &c);                                                                 \
  }

/*
 * Binary kernel NAME over broadcast f32 (compute form) and i32 inputs. VOP(va, vb): the f32x4 operation,
 * SOP(a, b): the scalar float one, IOP(a, b): the int32 one (wrapping; its operands are int32_t).
 * Exported as `void NAME(void *y, const void *a, const void *b, const int *info, int dtype)`.
 */
#define FH_BINARY(NAME, VOP, SOP, IOP)                                                                  \
  static void NAME##_f32(void *yv, const void *av, const void *bv, int n, int sa, int sb, int rnd) {    \
    float *y = (float *)yv;                                                                             \
    const float *a = (const float *)av, *b = (const float *)bv;                                        \
    int i = 0;                                                                                          \
    if (sa == 1 && sb == 1) {                                                                           \
      for (; i + 4 <= n; i += 4) {                                                                      \
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);                                  \
        wasm_v128_store(y + i, VOP(va, vb));                                                            \
      }                                                                                                 \
    } else if (sa == 1 && sb == 0) {                                                                    \
      v128_t vb = wasm_v128_load32_splat(b);                                                            \
      for (; i + 4 <= n; i += 4) {                                                                      \
        v128_t va = wasm_v128_load(a + i);                                                              \
        wasm_v128_store(y + i, VOP(va, vb));                                                            \
      }                                                                                                 \
    } else if (sa == 0 && sb == 1) {                                                                    \
      v128_t va = wasm_v128_load32_splat(a);                                                            \
      for (; i + 4 <= n; i += 4) {                                                                      \
        v128_t vb = wasm_v128_load(b + i);                                                              \
        wasm_v128_store(y + i, VOP(va, vb));                                                            \
      }                                                                                                 \
    }                                                                                                   \
    for (; i < n; i++) {                                                                                \
      float x1 = a[(long)i * sa], x2 = b[(long)i * sb];                                                 \
      y[i] = SOP(x1, x2);                                                                               \
    }                                                                                                   \
    fh_round_array(y, (size_t)n, rnd);                                                                  \
  }                                                                                                     \
  static void NAME##_i32(void *yv, const void *av, const void *bv, int n, int sa, int sb, int rnd) {    \
    (void)rnd;                                                                                          \
    int32_t *y = (int32_t *)yv;                                                                         \
    const int32_t *a = (const int32_t *)av, *b = (const int32_t *)bv;                                  \
    for (int i = 0; i < n; i++) {                                                                       \
      int32_t x1 = a[(long)i * sa], x2 = b[(long)i * sb];                                               \
      y[i] = IOP(x1, x2);                                                                               \
    }                                                                                                   \
  }                                                                                                     \
  FH_EXPORT void NAME(void *y, const void *a, const void *b, const int *info, int dtype) {              \
    if (dtype == FH_I32)                                                                                \
      fh_broadcast2(y, 4, a, 4, b, 4, info, NAME##_i32, 0);                                             \
    else                                                                                                \
      fh_broadcast2(y, 4, a, 4, b, 4, info, NAME##_f32, dtype);                                         \
  }

/*
 * Comparison NAME: y (u8) = a OP b over broadcast f32, i32 or u8 inputs (NaN compares false, except !=).
 * Exported as `void NAME(uint8_t *y, const void *a, const void *b, const int *info, int dtype)`.
 */
#define FH_COMPARE(NAME, OP)                                                                            \
  static void NAME##_f32(void *yv, const void *av, const void *bv, int n, int sa, int sb, int rnd) {    \
    (void)rnd;                                                                                          \
    uint8_t *y = (uint8_t *)yv;                                                                         \
    const float *a = (const float *)av, *b = (const float *)bv;                                        \
    for (int i = 0; i < n; i++) y[i] = a[(long)i * sa] OP b[(long)i * sb];                              \
  }                                                                                                     \
  static void NAME##_i32(void *yv, const void *av, const void *bv, int n, int sa, int sb, int rnd) {    \
    (void)rnd;                                                                                          \
    uint8_t *y = (uint8_t *)yv;                                                                         \
    const int32_t *a = (const int32_t *)av, *b = (const int32_t *)bv;                                  \
    for (int i = 0; i < n; i++) y[i] = a[(long)i * sa] OP b[(long)i * sb];                              \
  }                                                                                                     \
  static void NAME##_u8(void *yv, const void *av, const void *bv, int n, int sa, int sb, int rnd) {     \
    (void)rnd;                                                                                          \
    uint8_t *y = (uint8_t *)yv;                                                                         \
    const uint8_t *a = (const uint8_t *)av, *b = (const uint8_t *)bv;                                  \
    for (int i = 0; i < n; i++) y[i] = a[(long)i * sa] OP b[(long)i * sb];                              \
  }                                                                                                     \
  FH_EXPORT void NAME(uint8_t *y, const void *a, const void *b, const int *info, int dtype) {           \
    if (dtype == FH_U8)                                                                                 \
      fh_broadcast2(y, 1, a, 1, b, 1, info, NAME##_u8, 0);                                              \
    else                                                                                                \
      fh_broadcast2(y, 1, a, 4, b, 4, info, dtype == FH_I32 ? NAME##_i32 : NAME##_f32, 0);              \
  }

/*
 * Reductions over the middle axis of x viewed as [outer, n, inner] (the TypeScript side collapses the reduced
 * axes into one such group per call; see src/kernels/reduce.ts).
 */
void fh_reduce_sum(float *y, const float *x, int outer, int n, int inner, double divisor, int rnd);

#endif
