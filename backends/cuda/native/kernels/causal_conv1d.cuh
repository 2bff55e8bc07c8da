/*
 * causal_conv1d.cuh — Mamba2's causal depthwise conv1d with document ids: forward, backward and the one-step decode
 * update. Kernels: causal_conv1d.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct ConvArgs {
  int64_t B, T, C, K;
  bool silu;
};

/** y [B, T, C] ← act(bias + Σ_k weight[c,k] · xin[b, t−(K−1)+k, c]); bias, initialState [B,C,K−1], seqIdx optional. */
void launchCausalConv1d(Ctx& ctx, int dtype, void* y, const void* x, const void* weight, const void* bias,
                        const void* initialState, const int32_t* seqIdx, const ConvArgs& a);

/** dx, dweight, and dbias / dinitialState when those pointers are non-null (their inputs were given). */
void launchCausalConv1dGrad(Ctx& ctx, int dtype, void* dx, void* dweight, void* dbias, void* dinitialState,
                            const void* dy, const void* x, const void* weight, const void* bias,
                            const void* initialState, const int32_t* seqIdx, const ConvArgs& a);

/** newState [B, C, K] = shift(convState) + x [B, C];  y [B, C] = act(bias + Σ_k weight[c,k]·newState[b,c,k]). */
void launchCausalConv1dUpdate(Ctx& ctx, int dtype, void* y, void* newState, const void* convState, const void* x,
                              const void* weight, const void* bias, int64_t B, int64_t C, int64_t K, bool silu);

}  // namespace fh
