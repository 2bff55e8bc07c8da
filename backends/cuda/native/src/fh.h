/*
 * fh.h — what the addon (g++) and the kernel files (nvcc) share: dtype codes, the per-backend device context
 * handed to every launcher, strided-shape arguments and error checking.
 *
 * Every CUDA / cuBLASLt failure becomes an fh::Error whose message names the call; the N-API layer (addon.cc)
 * turns it into a JavaScript exception. Launchers never synchronise: they enqueue on ctx.stream.
 */
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "pdl_writes.h"

namespace fh {

/** Storage dtypes, as the TypeScript side encodes them (src/binding.ts DTYPE_CODE). */
enum DType : int { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, U8 = 4 };

inline size_t dtypeSize(int dtype) {
  switch (dtype) {
    case F32:
    case I32:
      return 4;
    case F16:
    case BF16:
      return 2;
    case U8:
      return 1;
    default:
      throw std::runtime_error("unknown dtype code " + std::to_string(dtype));
  }
}

inline const char* dtypeName(int dtype) {
  switch (dtype) {
    case F32:
      return "f32";
    case F16:
      return "f16";
    case BF16:
      return "bf16";
    case I32:
      return "i32";
    case U8:
      return "u8";
    default:
      return "?";
  }
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/** Throws fh::Error("<what>: <CUDA error string> (CUDA error <code>)") unless e is cudaSuccess. */
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw Error(std::string(what) + ": " + cudaGetErrorString(e) + " (CUDA error " + std::to_string(static_cast<int>(e)) +
                ")");
  }
}

/** After a kernel launch: a launch failure names the kernel. */
inline void checkLaunch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    throw Error(std::string(kernel) + " kernel launch: " + cudaGetErrorString(e) + " (CUDA error " +
                std::to_string(static_cast<int>(e)) + ")");
  }
}

#define FH_CHECK(call) ::fh::check((call), #call)

/** Largest rank of a strided argument after the TypeScript side has merged contiguous dimensions. */
constexpr int kMaxRank = 8;

/** A shape with up to kMaxRank dims and, per operand, the element stride of each dim (0 = broadcast). */
struct Shape {
  int rank;
  int64_t dim[kMaxRank];
};
struct Strides {
  int64_t s[kMaxRank];
};

/**
 * Errors that kernels can only detect on the device (an index out of range): the first one is recorded here, in
 * mapped pinned host memory, and reported by the next read/synchronize (ErrorSlot codes below).
 */
struct ErrorSlot {
  int code;  // 0 = none
  int a, b, c;
};
enum DeviceErrorCode : int { kErrGatherIndex = 1, kErrScatterIndex = 2, kErrLabel = 3 };

class Allocator;

/** What every launcher receives: the backend instance's device, stream, scratch allocator and error slot. */
struct Ctx {
  int device = 0;
  int smCount = 1;
  size_t maxSharedPerBlockOptin = 48 * 1024;
  cudaStream_t stream = nullptr;
  Allocator* alloc = nullptr;
  ErrorSlot* errHost = nullptr;    // host view
  ErrorSlot* errDevice = nullptr;  // device view of the same memory
  void* blasLt = nullptr;          // cublasLtHandle_t when built with cuBLASLt
  void* blasWorkspace = nullptr;
  size_t blasWorkspaceBytes = 0;
  void* gemmCache = nullptr;  // matmul plan cache (mat_mul.cu)
  bool tf32 = false;          // f32 MatMul on TF32 tensor cores (opt-in: 10-bit mantissa products)
  // Programmatic Dependent Launch (kernels/pdl_launch.cuh): compute capability >= 9 and FALCON_H1_CUDA_PDL != off.
  bool pdl = false;
  PdlWrites lastWrites;  // what the stream's last enqueued work writes, when known (pdl_writes.h)
  // Launches (or captures) that read inputs before their PDL wait, for stats(): MatMuls whose weight loads were issued
  // early (gemmMatVecPrefetch) and SsmDecodeSteps that read their conv and dt parameters early
  // (ssmDecodeEarlyParameters). Kept apart from lastWrites, which the two-stream mixers step saves and restores.
  int64_t earlyWeightLoads = 0;
  int64_t earlySsmParameters = 0;
  // A second stream for two kernels that run side by side (kernels/parallel_mixers_decode_step.cu): the fork and join
  // events order it with `stream` (also inside a graph capture, where they become the graph's edges). Made on first
  // use, destroyed with the context.
  cudaStream_t sideStream = nullptr;
  cudaEvent_t forkEvent = nullptr;
  cudaEvent_t joinEvent = nullptr;
  // Nonzero: the priority (cudaLaunchAttributePriority, lower = sooner) of launchPdl's launches — set only around the
  // critical-path kernel of two running side by side (parallel_mixers_decode_step.cu); 0 launches at the stream's.
  int launchPriority = 0;
};

/** Grid size for a grid-stride loop over n elements with `threads` per block. */
inline unsigned gridFor(int64_t n, int threads, const Ctx& ctx) {
  int64_t blocks = (n + threads - 1) / threads;
  int64_t cap = static_cast<int64_t>(ctx.smCount) * 32;
  if (blocks > cap) blocks = cap;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks);
}

}  // namespace fh
