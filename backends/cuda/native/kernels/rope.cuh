/*
 * rope.cuh — GPT-NeoX rotary embedding ("rotate half") over the whole head dim. Kernel: rope.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/**
 * x, y [BT, H, Dh], positions i32 [BT], invFreq f32 [Dh/2] (computed on the host exactly as the contract says).
 * angle = f32(position · invFreq[i]); c, s = cos, sin rounded to f32 (s negated when `inverse`).
 */
void launchRope(Ctx& ctx, int dtype, void* y, const void* x, const int32_t* positions, const float* invFreq,
                int64_t BT, int64_t H, int64_t Dh, bool inverse);

}  // namespace fh
