/*
 * nccl_collectives.h — the NCCL part of the addon (nccl.cc), reached through one Context method, `nccl(op, ...)`.
 * NCCL is loaded at run time (dlopen), so the addon builds without nccl.h and loads where NCCL is absent.
 */
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "fh.h"

namespace fh {

/** A live buffer of the calling Context: its device pointer and size in bytes. */
struct NcclBuffer {
  void* ptr;
  size_t bytes;
};
using NcclBufferOf = std::function<NcclBuffer(int64_t id)>;

/** Where the collectives run: `before` returns the stream for the next one, `after` marks those enqueued so far. */
struct NcclStreams {
  std::function<cudaStream_t()> before;
  std::function<void()> after;
};

/**
 * Runs `info[0]` (the operation's name) with the remaining arguments on ctx's device, on the stream `streams`
 * gives; buffers are resolved by `bufferOf`. Throws fh::Error naming the NCCL call on failure. The operations are
 * listed in nccl.cc.
 */
Napi::Value ncclCall(const Napi::CallbackInfo& info, const Ctx& ctx, const NcclBufferOf& bufferOf,
                     const NcclStreams& streams);

}  // namespace fh
