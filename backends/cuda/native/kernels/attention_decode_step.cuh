/*
 * attention_decode_step.cuh — one decode step of attention over a static KV cache in ONE launch: RoPE of the new
 * token's q and k (from the packed q|k|v projection), the write of its k and v into the cache in place, and the
 * split-K attention of the query over every cache slot with the chunks merged by the last block to finish.
 * Kernel: attention_decode_step.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** Query heads per KV head the kernel takes (four warps carry up to four rows each: larger groups unrolled too much). */
constexpr int64_t kAttnDecodeStepMaxGroup = 16;

/** Where the step's q|k|v sit in qkv's rows, and what goes in front of o in out's (see launchAttentionDecodeStep). */
struct AttnDecodeStepLayout {
  int64_t qkvStride;    // qkv's row length W ≥ qkvOffset + (Hq + 2·Hkv)·Dh
  int64_t qkvOffset;    // the first column of q
  int64_t prefixWidth;  // C: out [B, C + Hq·Dh] = [prefix | o]; 0 without a prefix. With a width but no prefix the
                        // kernel leaves the first C columns alone (another kernel writes them).
};

/**
 * out [B, C + Hq·Dh] = [prefix | o] (prefix [B, C] in `dtype`, or none with C = 0) from the q|k|v columns
 * [qkvOffset, qkvOffset + (Hq + 2·Hkv)·Dh) of qkv [B, W]; keys, values [B, L, Hkv, Dh] written at slots[b] (slots [B], or [1]
 * when `sharedSlot`; no write where the slot is outside [0, L)); positions, qSeq i32 [B], kSeq i32 [B, L]; invFreq
 * f32 [Dh/2] (the Rope kernel's table); tickets: B·Hkv zeroed u32 words that the kernel leaves zeroed (the count
 * of finished chunks of each (row, KV head), for the last block's merge). Slot j is visible iff kSeq[b, j] = qSeq[b].
 */
void launchAttentionDecodeStep(Ctx& ctx, int dtype, void* out, void* keys, void* values, const void* qkv,
                               const int32_t* positions, const int32_t* slots, bool sharedSlot, const int32_t* qSeq,
                               const int32_t* kSeq, const float* invFreq, unsigned* tickets, const void* prefix,
                               int64_t B, int64_t L, int64_t Hq, int64_t Hkv, int64_t Dh, float scale,
                               const AttnDecodeStepLayout& layout);

/** Dynamic shared memory of one block (the caller checks it against the device's opt-in limit). */
size_t attnDecodeStepSharedBytes(int64_t Hq, int64_t Hkv, int64_t Dh);

}  // namespace fh
