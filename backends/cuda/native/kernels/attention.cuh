/*
 * attention.cuh — grouped-query scaled-dot-product attention with causal and document masks, forward and backward
 * (FlashAttention-style: keys streamed through shared memory in tiles, online softmax, nothing of size T×S stored).
 * Kernels: attention.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct AttnArgs {
  int64_t B, T, S, Hq, Hkv, Dh, Dv;
  float scale;
  bool causal;
};

/** Largest head dims the kernels take. */
constexpr int64_t kAttnMaxHeadDim = 256;

/** out [B,T,Hq,Dv] from q [B,T,Hq,Dh], k [B,S,Hkv,Dh], v [B,S,Hkv,Dv]; qSeq [B,T] / kSeq [B,S] optional (together). */
void launchAttention(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v, const int32_t* qSeq,
                     const int32_t* kSeq, const AttnArgs& a);

/** dq, dk, dv given dy [B,T,Hq,Dv]. */
void launchAttentionGrad(Ctx& ctx, int dtype, void* dq, void* dk, void* dv, const void* dy, const void* q,
                         const void* k, const void* v, const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a);

}  // namespace fh
