/*
 * allocator.cc — size classes and free lists of the caching allocators (see allocator.h).
 */
#include "allocator.h"

#include <cuda_runtime_api.h>

#include <string>

#include "fh.h"

namespace fh {

namespace {
constexpr size_t kSmallLimit = size_t(1) << 20;  // 1 MiB
constexpr size_t kLargeGranule = size_t(2) << 20;  // 2 MiB
constexpr size_t kMinBlock = 512;
}  // namespace

size_t BlockPool::sizeClass(size_t bytes) {
  if (bytes == 0) return 0;
  if (bytes <= kSmallLimit) {
    size_t c = kMinBlock;
    while (c < bytes) c <<= 1;
    return c;
  }
  return (bytes + kLargeGranule - 1) / kLargeGranule * kLargeGranule;
}

BlockPool::~BlockPool() {
  for (auto& entry : free_) rawFree(entry.second);
  free_.clear();
}

void* BlockPool::rawAlloc(size_t bytes) {
  void* ptr = nullptr;
  cudaError_t e = kind_ == kDevice ? cudaMalloc(&ptr, bytes) : cudaMallocHost(&ptr, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // out of memory is not sticky: clear it, give the cache back and try once more
    FH_CHECK(cudaDeviceSynchronize());
    emptyCache();
    e = kind_ == kDevice ? cudaMalloc(&ptr, bytes) : cudaMallocHost(&ptr, bytes);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string(kind_ == kDevice ? "cudaMalloc(" : "cudaMallocHost(") + std::to_string(bytes) +
                " bytes): " + cudaGetErrorString(e) + " (CUDA error " + std::to_string(static_cast<int>(e)) +
                "; reserved " + std::to_string(stats_.reservedBytes) + " bytes)");
  }
  stats_.mallocCalls++;
  stats_.reservedBytes += bytes;
  return ptr;
}

void BlockPool::rawFree(void* ptr) {
  if (kind_ == kDevice)
    cudaFree(ptr);
  else
    cudaFreeHost(ptr);
}

void* BlockPool::allocate(size_t bytes, size_t* capacity) {
  size_t c = sizeClass(bytes);
  *capacity = c;
  if (c == 0) return nullptr;
  auto it = free_.lower_bound(c);
  size_t limit = c <= kSmallLimit ? c : c + c / 4;
  if (it != free_.end() && it->first <= limit) {
    void* ptr = it->second;
    *capacity = it->first;
    stats_.cachedBytes -= it->first;
    stats_.reuses++;
    free_.erase(it);
    return ptr;
  }
  return rawAlloc(c);
}

void BlockPool::release(void* ptr, size_t capacity) {
  if (ptr == nullptr) return;
  free_.emplace(capacity, ptr);
  stats_.cachedBytes += capacity;
}

void BlockPool::emptyCache() {
  for (auto& entry : free_) {
    rawFree(entry.second);
    stats_.reservedBytes -= entry.first;
  }
  free_.clear();
  stats_.cachedBytes = 0;
}

}  // namespace fh
