#pragma once

#include "../src/fh.h"
#include "attention_decode_step.cuh"
#include "ssm_decode_step.cuh"

namespace fh {

/** AttentionDecodeStep's operands (attention_decode_step.cuh's launcher takes them one by one). */
struct AttnDecodeStepOperands {
  void* keys;
  void* values;
  const int32_t* positions;
  const int32_t* slots;
  bool sharedSlot;
  const int32_t* qSeq;
  const int32_t* kSeq;
  const float* invFreq;
  unsigned* tickets;
  int64_t L, Hq, Hkv, Dh;
  float scale;
  int64_t qkvOffset;
};

/** SsmDecodeStepInPlace's operands (its states are both read and written). */
struct SsmDecodeStepOperands {
  void* convState;
  void* ssmState;  // f32, or the activations' dtype with SsmDecodeArgs::state16
  const void* convWeight;
  const void* convBias;
  const float* dtBias;
  const float* A;
  const float* D;
  unsigned* tickets;
};

/**
 * ParallelMixersDecodeStep: out [B, H·P + Hq·Dh] = [y | o] from one packed row per token (qkv [B, W]): the SSM step
 * (in place, gate silu, `ssm` its shapes with rowStride W and offset) and the attention step (in place on its cache),
 * launched side by side.
 */
void launchParallelMixersDecodeStep(Ctx& ctx, int dtype, void* out, const void* qkv, const SsmDecodeStepOperands& s,
                                    SsmDecodeArgs ssm, const AttnDecodeStepOperands& at);

}  // namespace fh
