/*
 * ssm_decode_step.cuh — the Mamba2 mixer's whole decode step after in_proj in one kernel (the contract's
 * SsmDecodeStep): conv update, dt = softplus(dt + dt_bias) (clamped), the SSM state update and y·silu(z), read from
 * the packed [z | x B C | dt] projection of one token. Kernel: ssm_decode_step.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct SsmDecodeArgs {
  int64_t B, H, P, G, N, K;
  bool convSilu;  // the conv's activation: silu, or none
  bool gate;      // y·silu(z) (y stored in `dtype`), or y alone (stored as f32)
  float dtMin, dtMax;
  int64_t rowStride;  // zxbcdt's row length W (≥ offset + H·P + convDim + H)
  int64_t offset;     // the step's first column in each row
  bool state16 = false;  // the SSM state in the activations' 16-bit dtype (else f32)
  int64_t yStride = 0;  // y's row length: 0 for H·P; wider for a row y shares (ParallelMixersDecodeStep's [y | o])
};

/**
 * zxbcdt [B, W] (the step's H·P + convDim + H columns [z | x B C | dt] from `offset`), convState [B, convDim, K],
 * convWeight [convDim, K], convBias [convDim] (optional) in `dtype` (f32, f16, bf16), convDim = H·P + 2·G·N;
 * ssmState [B, H, P, N] in f32 (or in the 16-bit `dtype` with state16: widened on load, the new state rounded once
 * on store), dtBias, A, D (optional) [H] in f32. Writes y [B, H·P] (`dtype` with the gate, f32 without), nextConv
 * [B, convDim, K] (`dtype`) and nextState (ssmState's dtype).
 * In place (SsmDecodeStepInPlace) when nextConv == convState and nextState == ssmState: then `tickets` holds B·G
 * zeroed u32 words that the kernel leaves zeroed (the count of a group's blocks done reading its B/C conv windows:
 * the last one writes them). Out of place, `tickets` is unused (null).
 */
void launchSsmDecodeStep(Ctx& ctx, int dtype, void* y, void* nextConv, void* nextState, const void* zxbcdt,
                         const void* convState, const void* convWeight, const void* convBias, const void* ssmState,
                         const float* dtBias, const float* A, const float* D, unsigned* tickets,
                         const SsmDecodeArgs& a);

}  // namespace fh
