/*
 * layout.cuh — launchers of the data-movement primitives: Cast, the strided copy behind Slice / Transpose /
 * Concat, Fill, Gather and ScatterAdd. Kernels: layout.cu. (Copy is a cudaMemcpyAsync in the addon.)
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/**
 * Cast of n elements from `src` to `dst` dtype: float→float rounds to nearest even through f32; float→int
 * truncates toward zero and wraps (i32 mod 2^32, u8 mod 256; NaN/±Inf → 0); int→float rounds to nearest.
 */
void launchCast(Ctx& ctx, int srcDtype, int dstDtype, void* out, const void* x, int64_t n);

/**
 * dst[dstOffset + Σ_d c_d·dstStrides_d] = src[srcOffset + Σ_d c_d·srcStrides_d] for every coordinate c of `shape`
 * (elements of `elemSize` bytes; offsets and strides in elements). Slice, Transpose and Concat are this copy.
 */
void launchStridedCopy(Ctx& ctx, int elemSize, void* dst, const void* src, const Shape& shape,
                       const Strides& srcStrides, int64_t srcOffset, const Strides& dstStrides, int64_t dstOffset);

/** One piece of a Concat: all of `src` (elements of its shape at srcStrides) to dst + dstOffset at dstStrides. */
struct ConcatPiece {
  const void* src;
  Shape shape;
  Strides srcStrides;
  Strides dstStrides;
  int64_t dstOffset;
};
constexpr int kMaxConcatPieces = 8;

/**
 * A Concat of up to kMaxConcatPieces pieces in ONE launch (each piece the strided copy above): a decode step joins
 * the SSM and attention outputs every layer, and a launch per piece doubled that cost.
 */
void launchConcat(Ctx& ctx, int elemSize, void* dst, const ConcatPiece* pieces, int count);

/** n elements of `elemSize` bytes set to the raw bits `bits` (low bytes). */
void launchFill(Ctx& ctx, int elemSize, void* out, int64_t n, uint32_t bits);

/** out[i, :] = table[indices[i], :] for i < count, rows of rowSize elements; a bad index is reported, row zeroed. */
void launchGather(Ctx& ctx, int elemSize, void* out, const void* table, const int32_t* indices, int64_t count,
                  int64_t rowSize, int64_t numRows);

/**
 * out = 0; out[indices[i], :] += updates[i, :] (duplicates accumulate: f32 atomics for float dtypes, rounded once
 * at the end; i32 wraps). A bad index is reported and skipped.
 */
void launchScatterAdd(Ctx& ctx, int dtype, void* out, const void* updates, const int32_t* indices, int64_t count,
                      int64_t rowSize, int64_t numRows);

}  // namespace fh
