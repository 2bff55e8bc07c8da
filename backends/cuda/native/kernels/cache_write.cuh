/*
 * cache_write.cuh — a decode step's rows written into a preallocated cache in place (the static KV cache).
 * Kernel: cache_write.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/**
 * cache [B, L, inner], values [B, T, inner] (elements of `elementBytes` bytes, any dtype), slots i32 [B] (or [1]
 * when `sharedSlot`), read on the device so the launch can be captured into a graph:
 *   cache[b, slots[b] + t, :] = values[b, t, :]   for t < T; rows whose window leaves [0, L) are left unchanged.
 */
void launchCacheWrite(Ctx& ctx, size_t elementBytes, void* cache, const void* values, const int32_t* slots, int64_t B,
                      int64_t L, int64_t T, int64_t inner, bool sharedSlot);

}  // namespace fh
