/*
 * packed_words.cuh — values of 1, 2 or 4 bytes moved in and out of 32-bit words by shifts. Kernels that load 8- or
 * 16-byte vectors (uint2/uint4) and use their values one by one must not take the address of the vector register
 * and index it (`reinterpret_cast<const T*>(&w)[k]`): that puts the vector in local memory — a stack frame and
 * spills (ptxas -v shows them). Shifts keep every value in registers.
 */
#pragma once

#include <cstdint>
#include <cstring>

namespace fh {

/** Value k (0-based, the lowest bytes first) of type T held in `word` (4 / sizeof(T) values per word). */
template <typename T>
__device__ __forceinline__ T valueOfWord(uint32_t word, int k) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4, "1-, 2- or 4-byte values");
  T t;
  if constexpr (sizeof(T) == 4) {
    memcpy(&t, &word, 4);
  } else if constexpr (sizeof(T) == 2) {
    const uint16_t bits = static_cast<uint16_t>(word >> (16 * k));
    memcpy(&t, &bits, 2);
  } else {
    const uint8_t bits = static_cast<uint8_t>(word >> (8 * k));
    memcpy(&t, &bits, 1);
  }
  return t;
}

/** The bits of a 2-byte value, zero-extended. */
template <typename T>
__device__ __forceinline__ uint32_t bitsOf16(T v) {
  static_assert(sizeof(T) == 2, "a 2-byte value");
  uint16_t bits;
  memcpy(&bits, &v, 2);
  return bits;
}

/** Two 2-byte values as one word, `lo` in the lower half (valueOfWord's order). */
template <typename T>
__device__ __forceinline__ uint32_t wordOf(T lo, T hi) {
  return bitsOf16(lo) | (bitsOf16(hi) << 16);
}

}  // namespace fh
