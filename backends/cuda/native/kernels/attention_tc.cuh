/*
 * attention_tc.cuh — the fast attention paths behind launchAttention / launchAttentionGrad (attention.cu decides):
 *   tensor cores (attention_tc.cu): f16/bf16 storage, Dh = Dv ∈ {64, 128}, forward and backward;
 *   split-K decode (attention_decode.cu): T ≤ kAttnDecodeMaxT query rows, every float dtype, forward only.
 */
#pragma once

#include <initializer_list>

#include "attention.cuh"

namespace fh {

/** Decode path: query rows per sequence at most this many (T·Hq/Hkv rows per KV head at most kAttnDecodeMaxRows). */
constexpr int64_t kAttnDecodeMaxT = 4;
constexpr int64_t kAttnDecodeMaxRows = 32;

/** True when the tensor-core kernels take this call (dtype, head dims, shared memory of the device). */
bool attnTcEligible(const Ctx& ctx, int dtype, const AttnArgs& a);
/** True when every pointer is 16-byte aligned (the tensor-core kernels copy 16-byte pieces). */
bool attnTcAligned(std::initializer_list<const void*> ptrs);
void launchAttentionTc(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v,
                       const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a);
void launchAttentionGradTc(Ctx& ctx, int dtype, void* dq, void* dk, void* dv, const void* dy, const void* q,
                           const void* k, const void* v, const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a);

/** True when the split-K decode kernel takes this forward call. */
bool attnDecodeEligible(const Ctx& ctx, const AttnArgs& a);
void launchAttentionDecode(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v,
                           const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a);

}  // namespace fh
