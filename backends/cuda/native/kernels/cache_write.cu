/*
 * cache_write.cu — CacheWrite: copies B·T rows of `inner` elements into the cache at each row's slot, in place.
 * A pure copy (no rounding), so it moves raw units: the widest of 16/8/4/2/1 bytes that divides a row's bytes
 * (buffers are allocator-aligned and every row starts at a multiple of the row size, so the units are aligned).
 * One thread per unit of the B·T written rows, grid-stride: the cost is the bytes written, not the cache size
 * (the Where it replaces read and wrote all L slots of every layer's keys and values each step).
 */
#include <cstdint>

#include "cache_write.cuh"

namespace fh {

namespace {

template <typename U>
__global__ void cacheWriteKernel(U* __restrict__ cache, const U* __restrict__ values, const int32_t* __restrict__ slots,
                                 int64_t B, int64_t L, int64_t T, int64_t rowUnits, bool sharedSlot) {
  const int64_t perRow = T * rowUnits;  // units of one batch row's T positions (contiguous in values and cache)
  const int64_t n = B * perRow;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = e / perRow;
    const int64_t slot = slots[sharedSlot ? 0 : b];
    if (slot < 0 || slot + T > L) continue;
    cache[(b * L + slot) * rowUnits + (e - b * perRow)] = values[e];
  }
}

template <typename U>
void launchUnits(Ctx& ctx, void* cache, const void* values, const int32_t* slots, int64_t B, int64_t L, int64_t T,
                 int64_t rowUnits, bool sharedSlot) {
  const int64_t n = B * T * rowUnits;
  cacheWriteKernel<U><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
      static_cast<U*>(cache), static_cast<const U*>(values), slots, B, L, T, rowUnits, sharedSlot);
}

}  // namespace

void launchCacheWrite(Ctx& ctx, size_t elementBytes, void* cache, const void* values, const int32_t* slots, int64_t B,
                      int64_t L, int64_t T, int64_t inner, bool sharedSlot) {
  const int64_t rowBytes = inner * int64_t(elementBytes);
  if (B == 0 || T == 0 || rowBytes == 0) return;
  if (rowBytes % 16 == 0) {
    launchUnits<uint4>(ctx, cache, values, slots, B, L, T, rowBytes / 16, sharedSlot);
  } else if (rowBytes % 8 == 0) {
    launchUnits<uint2>(ctx, cache, values, slots, B, L, T, rowBytes / 8, sharedSlot);
  } else if (rowBytes % 4 == 0) {
    launchUnits<uint32_t>(ctx, cache, values, slots, B, L, T, rowBytes / 4, sharedSlot);
  } else if (rowBytes % 2 == 0) {
    launchUnits<uint16_t>(ctx, cache, values, slots, B, L, T, rowBytes / 2, sharedSlot);
  } else {
    launchUnits<uint8_t>(ctx, cache, values, slots, B, L, T, rowBytes, sharedSlot);
  }
  checkLaunch("CacheWrite");
}

}  // namespace fh
