/*
 * allocator.h — the caching allocators: device memory for tensors and scratch, pinned host memory for readback.
 *
 * No cudaMalloc per tensor: a freed block goes back to a free list keyed by its size class and is handed out
 * again. Size classes: powers of two from 512 B up to 1 MiB, then multiples of 2 MiB; a request takes the smallest
 * free block of its class or larger, up to 5/4 of the class for large blocks. All work of one backend runs on one
 * stream, so a block freed while kernels that use it are still queued can be reused at once by later work on that
 * stream (stream-ordered reuse); nothing is returned to CUDA until `emptyCache()` (called on out-of-memory before a
 * retry, and on dispose).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace fh {

struct PoolStats {
  size_t reservedBytes = 0;  // bytes obtained from CUDA and not yet returned
  size_t cachedBytes = 0;    // of those, bytes sitting in free lists
  uint64_t mallocCalls = 0;  // cudaMalloc / cudaMallocHost calls so far
  uint64_t reuses = 0;       // requests served from a free list
};

class BlockPool {
 public:
  enum Kind { kDevice, kPinnedHost };
  BlockPool(Kind kind, int device) : kind_(kind), device_(device) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  /** A block of at least `bytes` (nullptr for 0); its capacity (the size class) is written to *capacity. */
  void* allocate(size_t bytes, size_t* capacity);
  /** Returns a block of `capacity` bytes to the free lists. */
  void release(void* ptr, size_t capacity);
  /** Returns every cached block to CUDA (the caller has synchronised the device). */
  void emptyCache();
  const PoolStats& stats() const { return stats_; }

  static size_t sizeClass(size_t bytes);

 private:
  void* rawAlloc(size_t bytes);
  void rawFree(void* ptr);
  Kind kind_;
  int device_;
  std::multimap<size_t, void*> free_;
  PoolStats stats_;
};

/** The device allocator of one backend instance (scratch buffers of launchers use it too). */
class Allocator {
 public:
  explicit Allocator(int device) : device_(device), pool_(BlockPool::kDevice, device) {}
  void* allocate(size_t bytes, size_t* capacity) { return pool_.allocate(bytes, capacity); }
  /** Returns a block to the free lists, or, while holding for a graph capture, to the held list. */
  void release(void* ptr, size_t capacity) {
    if (holding_ && ptr != nullptr)
      held_.emplace_back(ptr, capacity);
    else
      pool_.release(ptr, capacity);
  }
  /**
   * Graph capture: from beginHold() to endHold(), released blocks are not reused — the captured graph's replays
   * still read and write them — and endHold() hands them to the graph, which gives them back when it is freed.
   */
  void beginHold() {
    holding_ = true;
    held_.clear();
  }
  std::vector<std::pair<void*, size_t>> endHold() {
    holding_ = false;
    return std::move(held_);
  }
  bool holding() const { return holding_; }
  void emptyCache() { pool_.emptyCache(); }
  const PoolStats& stats() const { return pool_.stats(); }
  int device() const { return device_; }

 private:
  int device_;
  BlockPool pool_;
  bool holding_ = false;
  std::vector<std::pair<void*, size_t>> held_;
};

/** A scratch device buffer released (stream-ordered) when it goes out of scope. */
class Scratch {
 public:
  Scratch(Allocator& alloc, size_t bytes) : alloc_(alloc) { ptr_ = alloc_.allocate(bytes, &capacity_); }
  ~Scratch() { alloc_.release(ptr_, capacity_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  Allocator& alloc_;
  void* ptr_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace fh
