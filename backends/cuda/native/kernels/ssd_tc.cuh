/*
 * ssd_tc.cuh — the Mamba2 SSD scan in matmul form on tensor cores (WMMA, 16-bit operands, f32 accumulation), for
 * f16/bf16 activations. ssm_scan.cu decides when it runs (launchSsmScan / launchSsmScanGrad). Kernels: ssd_tc.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct SsdDims {
  int64_t B, T, H, P, G, N;
};

/** Tokens per chunk of the tensor-core kernels (the contract's chunkSize only reorders exact arithmetic). */
constexpr int64_t kSsdChunk = 64;

/** Whether the tensor-core kernels take this dtype and these sizes on this device (else: the recurrence kernels). */
bool ssdTcSupported(const Ctx& ctx, int dtype, int64_t B, int64_t H, int64_t P, int64_t N);

/**
 * Forward: y [B,T,H,P] (yDtype: dt's original dtype, f32 or dtype) and finalState [B,H,P,N] f32. Inputs as
 * launchSsmScan's, with dt, A and D (optional) in f32 (launchSsmScan widens 16-bit ones).
 */
void launchSsdForwardTc(Ctx& ctx, int dtype, int yDtype, void* y, float* finalState, const void* x,
                        const float* dt, const float* A, const void* Bm, const void* Cm, const float* D,
                        const float* initialState, const int32_t* seqIdx, const SsdDims& d);

/** f32 accumulators of the backward (zeroed by the caller); dD null when D is absent. */
struct SsdGradAcc {
  float* ddt;  // [B, T, H], written (each element by one block)
  float* dA;   // [H], added to
  float* dB;   // [B, T, G, N], added to
  float* dC;   // [B, T, G, N], added to
  float* dD;   // [H], added to, or null
};

/**
 * Backward: dx (dtype) written, the accumulators filled, dinitialState (f32, optional) written; dy in yDtype (f32 or
 * dtype, as the forward's y); dt, A, D f32.
 */
void launchSsdBackwardTc(Ctx& ctx, int dtype, int yDtype, void* dx, const SsdGradAcc& acc, float* dinitialState,
                         const void* dy, const float* dFinalState, const void* x, const float* dt, const float* A,
                         const void* Bm, const void* Cm, const float* D, const float* initialState,
                         const int32_t* seqIdx, const SsdDims& d);

}  // namespace fh
