/*
 * reduce.cuh — launchers of the reductions and scans: Sum, Mean, Max over a set of axes, ArgMax and CumSum along
 * one axis. Kernels: reduce.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

enum ReduceOp : int { kSum, kMean, kMax };

/**
 * out[o] = reduce_{r < redCount} x[offKept(o) + offRed(r)] for o < outCount. `kept` (the output's dims, with their
 * strides in x) and `red` (the reduced dims, with their strides in x) are merged layouts. Float dtypes and i32.
 */
void launchReduce(Ctx& ctx, int op, int dtype, void* out, const void* x, int64_t outCount, const Shape& kept,
                  const Strides& keptStrides, int64_t redCount, const Shape& red, const Strides& redStrides);

/** x viewed as [outer, n, inner]: out[o, r] (i32) = index of the first maximum of x[o, :, r]; NaN counts as largest. */
void launchArgMax(Ctx& ctx, int dtype, int32_t* out, const void* x, int64_t outer, int64_t n, int64_t inner);

/** x viewed as [outer, n, inner]: prefix sums along n (f64 accumulation for f32, f32 for 16-bit, i64 for i32). */
void launchCumSum(Ctx& ctx, int dtype, void* out, const void* x, int64_t outer, int64_t n, int64_t inner,
                  bool exclusive, bool reverse);

}  // namespace fh
