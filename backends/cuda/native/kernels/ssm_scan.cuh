/*
 * ssm_scan.cuh — the Mamba2 selective scan (SSD): chunked forward, chunked backward, and the one-token decode step.
 * Kernels: ssm_scan.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct ScanArgs {
  int64_t B, T, H, P, G, N;
  int64_t chunk;  // forward chunk length (the contract's chunkSize)
};

/** Largest state size the kernels take (N ≤ 256: eight state elements per lane). */
constexpr int64_t kScanMaxN = 256;

/**
 * f(Y{}) with Y the storage type of the scan's y (and of the backward's dy): y takes dt's dtype, so f32 when dt, A
 * and D are f32 (an f32 scan, or a bf16/f16 model's mixed one), else the activations' type T.
 */
template <typename T, typename F>
void withScanOutputType(int paramDtype, F&& f) {
  if (paramDtype == F32)
    f(float{});
  else
    f(T{});
}

/**
 * y [B,T,H,P] (paramDtype: y takes dt's dtype), finalState [B,H,P,N] f32 from x, Bm, Cm (dtype), dt, A, D
 * (paramDtype: f32 or dtype — a bf16/f16 model passes f32 ones; D optional), initialState (f32, optional), seqIdx
 * (i32, optional).
 */
void launchSsmScan(Ctx& ctx, int dtype, int paramDtype, void* y, float* finalState, const void* x, const void* dt,
                   const void* A, const void* Bm, const void* Cm, const void* D, const float* initialState,
                   const int32_t* seqIdx, const ScanArgs& a);

/**
 * Gradients of the scan given dy (paramDtype, y's dtype) and dFinalState (f32, optional): dx, dBm, dCm in dtype, ddt,
 * dA, dD in paramDtype. dD and dinitialState are written only when their pointers are non-null (the inputs were given);
 * dinitialState is f32.
 */
void launchSsmScanGrad(Ctx& ctx, int dtype, int paramDtype, void* dx, void* ddt, void* dA, void* dBm, void* dCm,
                       void* dD, float* dinitialState, const void* dy, const float* dFinalState, const void* x,
                       const void* dt, const void* A, const void* Bm, const void* Cm, const void* D,
                       const float* initialState, const int32_t* seqIdx, const ScanArgs& a);

/** One decode step: state' = exp(dt·A)·state + dt·x⊗Bm;  y = state'·Cm + D·x. state f32 [B,H,P,N]. */
void launchSsmStep(Ctx& ctx, int dtype, void* y, float* newState, const float* state, const void* x, const void* dt,
                   const void* A, const void* Bm, const void* Cm, const void* D, int64_t B, int64_t H, int64_t P,
                   int64_t G, int64_t N);

}  // namespace fh
