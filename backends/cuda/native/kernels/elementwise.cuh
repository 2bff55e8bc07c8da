/*
 * elementwise.cuh — launchers of the elementwise primitives: the unary functions, broadcast binary arithmetic and
 * comparisons, Where, Scale and Clamp. Kernels: elementwise.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** Op codes, in the order of the contract's UNARY_KERNELS / BINARY_KERNELS / COMPARE_KERNELS. */
enum UnaryOp : int { kNeg, kAbs, kExp, kLog, kSqrt, kRsqrt, kReciprocal, kSigmoid, kSilu, kSoftplus, kTanh };
enum BinaryOp : int { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum };
enum CompareOp : int { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual };

/** out[i] = f(x[i]) over n elements; float dtypes (Neg and Abs: i32 too). */
void launchUnary(Ctx& ctx, int op, int dtype, void* out, const void* x, int64_t n);

/**
 * out[i] = a[offA(i)] ∘ b[offB(i)] over the broadcast shape (n elements). `shape` and the strides are the merged
 * broadcast layout (stride 0 on stretched dims). Float, i32 and u8 (integers wrap; Div truncates, x/0 = 0).
 */
void launchBinary(Ctx& ctx, int op, int dtype, void* out, const void* a, const void* b, int64_t n, const Shape& shape,
                  const Strides& sa, const Strides& sb);

/** out[i] = a ∘ b ? 1 : 0 (u8) over the broadcast shape; any dtype. */
void launchCompare(Ctx& ctx, int op, int dtype, uint8_t* out, const void* a, const void* b, int64_t n,
                   const Shape& shape, const Strides& sa, const Strides& sb);

/** out[i] = cond ? a : b, all three broadcast; a, b of `dtype` (any). */
void launchWhere(Ctx& ctx, int dtype, void* out, const uint8_t* cond, const void* a, const void* b, int64_t n,
                 const Shape& shape, const Strides& sc, const Strides& sa, const Strides& sb);

/** out = x·scale + shift (f64 arithmetic, one rounding); float dtypes. */
void launchScale(Ctx& ctx, int dtype, void* out, const void* x, int64_t n, double scale, double shift);

/** out = min(max(x, lo), hi), NaN stays NaN; float dtypes. */
void launchClamp(Ctx& ctx, int dtype, void* out, const void* x, int64_t n, double lo, double hi);

}  // namespace fh
