/*
 * swi_glu.cuh — Falcon-H1's MLP activation with its gate multiplier, forward and backward. Kernels: swi_glu.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** y = up · silu(gate · m) over n elements (gate, up, y of one float dtype; f32 arithmetic, one rounding). */
void launchSwiGlu(Ctx& ctx, int dtype, void* y, const void* gate, const void* up, int64_t n, float m);

/**
 * SwiGlu of a packed projection: gateUp [rows, 2I] (row r: gate then up, I = inner each), y [rows, I]; the same
 * arithmetic as launchSwiGlu on the two halves, so the same bits.
 */
void launchSwiGluPacked(Ctx& ctx, int dtype, void* y, const void* gateUp, int64_t rows, int64_t inner, float m);

/** dup = dy · silu(a), dgate = dy · up · silu'(a) · m with a = gate · m, over n elements. */
void launchSwiGluGrad(Ctx& ctx, int dtype, void* dgate, void* dup, const void* dy, const void* gate, const void* up,
                      int64_t n, float m);

}  // namespace fh
