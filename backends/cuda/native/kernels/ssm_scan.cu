/*
 * ssm_scan.cu — the Mamba2 SSD scan, chunked, with f32 states and decays whatever the activations' dtype.
 * f16/bf16 scans go to the matmul form on tensor cores (ssd_tc.cu) where it takes the sizes; this file's recurrence
 * kernels serve f32 (exact), the rest, and FALCON_H1_CUDA_SSD=cuda-cores.
 *
 * Dtypes: x, Bm, Cm, dx, dBm, dCm in the activations' dtype (f32/f16/bf16); dt, A, D either in that dtype or f32
 * (what a bf16/f16 model passes: its softplus'ed dt and −exp(A_log) stay exact). y, and so dy, take dt's dtype: f32
 * in that mixed case, so the f32 gated norm after the scan reads the f32 accumulation unrounded (the kernels are
 * templated on Y, y's / dy's storage type). Every kernel reads dt, A, D as f32: 16-bit ones are widened once into
 * scratch by the launchers (exact), so both cases compute alike; ddt, dA, dD are rounded from their f32 accumulators
 * to the parameters' dtype.
 *
 * The recurrence (per batch row b, head h, state S [P, N]; head h reads group g = h / (H/G)):
 *   r_t = 0 where seqIdx_t ≠ seqIdx_{t−1} (a document starts: the carried state is dropped), else 1
 *   a_t = exp(dt_t·A_h);   S_t = r_t·a_t·S_{t−1} + dt_t·x_t ⊗ B_t;   y_t = S_t·C_t + D_h·x_t
 *
 * Forward, in chunks of L tokens (L = chunkSize):
 *   1. chunk states: each chunk runs the recurrence from S = 0, giving its local end state, and its decay
 *      Π_{t∈chunk} r_t·a_t (0 if a document starts inside it or at its first token);
 *   2. carry: one sequential pass over chunks per state element: start_c = S_{end of c−1};
 *      S_{end of c} = decay_c·start_c + local_c (the last one is finalState);
 *   3. output: each chunk reruns its recurrence from start_c and writes y.
 *   With a single chunk, steps 1–2 are skipped.
 * Parallelism: one warp per (b, h, p, chunk); lane l holds the state elements n = l, l+32, ... (NPL per lane);
 * y_t[p] is a warp reduction over n.
 *
 * Backward (the reverse-time adjoint G_t = ∂L/∂S_t, G_t = dy_t⊗C_t + r_{t+1}·a_{t+1}·G_{t+1}), in chunks of 32:
 *   A. steps 1–2 of the forward give every chunk's start state;
 *   B. local adjoints: each chunk runs the adjoint from 0 backwards, giving r_{t0}·a_{t0}·G_{t0};
 *   C. carry backwards: Gin_{c−1} = local_c + decay_c·Gin_c from Gin_last = dFinalState; Gin_{−1} = dinitialState;
 *   D. each chunk recomputes its states forward (kept per lane in local memory, 32 tokens), then walks backwards:
 *        dx_t   = D·dy_t + dt_t·(G_t·B_t)            ddt_t = x_t·(G_t·B_t) + r_t·A·a_t·<S_{t−1}, G_t>
 *        dB_t  += dt_t·G_tᵀx_t   dC_t += S_tᵀ dy_t   dA += r_t·dt_t·a_t·<S_{t−1}, G_t>   dD += <dy_t, x_t>
 *      sums over p (and over the heads of a group) go through shared memory, then f32 global atomics; the f32
 *      accumulators are rounded to the inputs' dtype at the end.
 */
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "common.cuh"
#include "layout.cuh"
#include "ssd_tc.cuh"
#include "ssm_scan.cuh"

namespace fh {

namespace {

constexpr int kWarps = 4;      // p rows per block
constexpr int kBwdChunk = 32;  // backward chunk length (states of a chunk are kept per lane)

struct ScanDims {
  int64_t B, T, H, P, G, N;
  int64_t L;   // chunk length
  int64_t nc;  // number of chunks
};

/** The scan's inputs as the kernels read them: activations in T, dt, A and D in f32 (see ScanParameters). */
template <typename T>
struct ScanIn {
  const T* x;
  const float* dt;
  const float* A;
  const T* Bm;
  const T* Cm;
  const float* D;
  const int32_t* seq;
};

__device__ __forceinline__ bool startsDoc(const int32_t* seq, int64_t b, int64_t t, int64_t T) {
  return seq != nullptr && t > 0 && seq[b * T + t] != seq[b * T + t - 1];
}

/** Phase 1: local end state (from zero) and decay of each chunk. Grid: chunkGrid. */
template <typename T, int NPL>
__global__ void chunkStateKernel(float* __restrict__ local, float* __restrict__ decay, ScanIn<T> in, ScanDims d) {
  const int lane = threadIdx.x & 31;
  const int64_t p = int64_t(blockIdx.z) * kWarps + (threadIdx.x >> 5);
  const int64_t c = blockIdx.y, bh = blockIdx.x, b = bh / d.H, h = bh - b * d.H, g = h / (d.H / d.G);
  if (p >= d.P) return;
  const int64_t t0 = c * d.L, t1 = t0 + d.L < d.T ? t0 + d.L : d.T;
  const float Ah = in.A[h];
  float s[NPL];
#pragma unroll
  for (int j = 0; j < NPL; ++j) s[j] = 0.f;
  float prod = 1.f;
  for (int64_t t = t0; t < t1; ++t) {
    const float dtv = in.dt[(b * d.T + t) * d.H + h];
    const float a = expf(dtv * Ah);
    const bool reset = startsDoc(in.seq, b, t, d.T);
    const float u = dtv * toF<T>(in.x[((b * d.T + t) * d.H + h) * d.P + p]);
    const int64_t bc = ((b * d.T + t) * d.G + g) * d.N;
#pragma unroll
    for (int j = 0; j < NPL; ++j) {
      const int64_t n = lane + 32 * j;
      const float bv = n < d.N ? toF<T>(in.Bm[bc + n]) : 0.f;
      s[j] = (reset ? 0.f : a * s[j]) + u * bv;
    }
    prod = reset ? 0.f : prod * a;
  }
  const int64_t base = (((b * d.nc + c) * d.H + h) * d.P + p) * d.N;
#pragma unroll
  for (int j = 0; j < NPL; ++j) {
    const int64_t n = lane + 32 * j;
    if (n < d.N) local[base + n] = s[j];
  }
  if (p == 0 && lane == 0) decay[(b * d.nc + c) * d.H + h] = prod;
}

/**
 * Phase 2: sequential over chunks per state element; `local` [B, nc, H, P, N] is overwritten with each chunk's start
 * state. finalState (optional) gets the state after the last chunk.
 */
__global__ void chunkCarryKernel(float* __restrict__ local, const float* __restrict__ decay,
                                 const float* __restrict__ init, float* __restrict__ finalState, ScanDims d) {
  const int64_t per = d.H * d.P * d.N;
  const int64_t n = d.B * per;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = e / per, r = e - b * per, h = r / (d.P * d.N);
    float s = init ? init[e] : 0.f;
    for (int64_t c = 0; c < d.nc; ++c) {
      const int64_t off = (b * d.nc + c) * per + r;
      const float loc = local[off];
      local[off] = s;
      s = decay[(b * d.nc + c) * d.H + h] * s + loc;
    }
    if (finalState) finalState[e] = s;
  }
}

/**
 * Phase 3: y (Y: T or f32) for every token, each chunk starting from its start state ([B, nc, H, P, N], or
 * initialState / zeros when startIsInit). The last chunk writes finalState when given.
 */
template <typename T, typename Y, int NPL>
__global__ void chunkScanKernel(Y* __restrict__ y, float* __restrict__ finalState, const float* __restrict__ start,
                                bool startIsInit, ScanIn<T> in, ScanDims d) {
  const int lane = threadIdx.x & 31;
  const int64_t p = int64_t(blockIdx.z) * kWarps + (threadIdx.x >> 5);
  const int64_t c = blockIdx.y, bh = blockIdx.x, b = bh / d.H, h = bh - b * d.H, g = h / (d.H / d.G);
  if (p >= d.P) return;
  const int64_t t0 = c * d.L, t1 = t0 + d.L < d.T ? t0 + d.L : d.T;
  const float Ah = in.A[h];
  const float Dh = in.D ? in.D[h] : 0.f;
  const int64_t sBase = startIsInit ? ((b * d.H + h) * d.P + p) * d.N : (((b * d.nc + c) * d.H + h) * d.P + p) * d.N;
  float s[NPL];
#pragma unroll
  for (int j = 0; j < NPL; ++j) {
    const int64_t n = lane + 32 * j;
    s[j] = (start != nullptr && n < d.N) ? start[sBase + n] : 0.f;
  }
  for (int64_t t = t0; t < t1; ++t) {
    const float dtv = in.dt[(b * d.T + t) * d.H + h];
    const float a = expf(dtv * Ah);
    const bool reset = startsDoc(in.seq, b, t, d.T);
    const int64_t xi = ((b * d.T + t) * d.H + h) * d.P + p;
    const float xv = toF<T>(in.x[xi]);
    const float u = dtv * xv;
    const int64_t bc = ((b * d.T + t) * d.G + g) * d.N;
    float acc = 0.f;
#pragma unroll
    for (int j = 0; j < NPL; ++j) {
      const int64_t n = lane + 32 * j;
      const bool ok = n < d.N;
      const float bv = ok ? toF<T>(in.Bm[bc + n]) : 0.f;
      const float cv = ok ? toF<T>(in.Cm[bc + n]) : 0.f;
      s[j] = (reset ? 0.f : a * s[j]) + u * bv;
      acc += s[j] * cv;
    }
    acc = warpSum(acc);
    if (lane == 0) y[xi] = fromF<Y>(acc + Dh * xv);
  }
  if (finalState != nullptr && c == d.nc - 1) {
    const int64_t fBase = ((b * d.H + h) * d.P + p) * d.N;
#pragma unroll
    for (int j = 0; j < NPL; ++j) {
      const int64_t n = lane + 32 * j;
      if (n < d.N) finalState[fBase + n] = s[j];
    }
  }
}

/** Backward B: r_{t0}·a_{t0}·G_{t0} of each chunk, the adjoint run from zero at its end. dy in Y (y's type). */
template <typename T, typename Y, int NPL>
__global__ void chunkAdjointKernel(float* __restrict__ localAdj, const Y* __restrict__ dy, ScanIn<T> in, ScanDims d) {
  const int lane = threadIdx.x & 31;
  const int64_t p = int64_t(blockIdx.z) * kWarps + (threadIdx.x >> 5);
  const int64_t c = blockIdx.y, bh = blockIdx.x, b = bh / d.H, h = bh - b * d.H, g = h / (d.H / d.G);
  if (p >= d.P) return;
  const int64_t t0 = c * d.L, t1 = t0 + d.L < d.T ? t0 + d.L : d.T;
  const float Ah = in.A[h];
  float G[NPL];
#pragma unroll
  for (int j = 0; j < NPL; ++j) G[j] = 0.f;
  for (int64_t t = t1 - 1; t >= t0; --t) {
    const float dtv = in.dt[(b * d.T + t) * d.H + h];
    const float a = expf(dtv * Ah);
    const bool reset = startsDoc(in.seq, b, t, d.T);
    const float dyv = toF<Y>(dy[((b * d.T + t) * d.H + h) * d.P + p]);
    const int64_t bc = ((b * d.T + t) * d.G + g) * d.N;
#pragma unroll
    for (int j = 0; j < NPL; ++j) {
      const int64_t n = lane + 32 * j;
      const float cv = n < d.N ? toF<T>(in.Cm[bc + n]) : 0.f;
      G[j] = (reset ? 0.f : a) * (G[j] + dyv * cv);  // carry r_t·a_t·G_t into t−1
    }
  }
  const int64_t base = (((b * d.nc + c) * d.H + h) * d.P + p) * d.N;
#pragma unroll
  for (int j = 0; j < NPL; ++j) {
    const int64_t n = lane + 32 * j;
    if (n < d.N) localAdj[base + n] = G[j];
  }
}

/** Backward C: Gin_c (written over localAdj) and dinitialState = Gin_{−1}. */
__global__ void adjointCarryKernel(float* __restrict__ localAdj, const float* __restrict__ decay,
                                   const float* __restrict__ dFinal, float* __restrict__ dInit, ScanDims d) {
  const int64_t per = d.H * d.P * d.N;
  const int64_t n = d.B * per;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = e / per, r = e - b * per, h = r / (d.P * d.N);
    float gin = dFinal ? dFinal[e] : 0.f;
    for (int64_t c = d.nc - 1; c >= 0; --c) {
      const int64_t off = (b * d.nc + c) * per + r;
      const float loc = localAdj[off];
      localAdj[off] = gin;
      gin = loc + decay[(b * d.nc + c) * d.H + h] * gin;
    }
    if (dInit) dInit[e] = gin;
  }
}

struct GradAcc {
  float* ddt;  // [B, T, H]
  float* dA;   // [H]
  float* dB;   // [B, T, G, N]
  float* dC;   // [B, T, G, N]
  float* dD;   // [H] or null
};

/** Backward D (dy in Y, y's type). Grid as chunkGrid; every warp of a block walks the same tokens (shared sums). */
template <typename T, typename Y, int NPL>
__global__ void chunkGradKernel(T* __restrict__ dx, GradAcc acc, const float* __restrict__ start,
                                const float* __restrict__ gin, const Y* __restrict__ dy, ScanIn<T> in, ScanDims d) {
  __shared__ float sB[kWarps][32 * NPL];
  __shared__ float sC[kWarps][32 * NPL];
  __shared__ float sDdt[kWarps];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t p = int64_t(blockIdx.z) * kWarps + warp;
  const bool valid = p < d.P;
  const int64_t pc = valid ? p : 0;
  const int64_t c = blockIdx.y, bh = blockIdx.x, b = bh / d.H, h = bh - b * d.H, g = h / (d.H / d.G);
  const int64_t t0 = c * d.L, t1 = t0 + d.L < d.T ? t0 + d.L : d.T;
  const float Ah = in.A[h];
  const float Dh = in.D ? in.D[h] : 0.f;
  const int64_t sBase = (((b * d.nc + c) * d.H + h) * d.P + pc) * d.N;

  float s0[NPL];
  float hist[kBwdChunk][NPL];
#pragma unroll
  for (int j = 0; j < NPL; ++j) {
    const int64_t n = lane + 32 * j;
    s0[j] = (valid && n < d.N) ? start[sBase + n] : 0.f;
  }
  // Forward through the chunk, keeping S_t.
  {
    float s[NPL];
#pragma unroll
    for (int j = 0; j < NPL; ++j) s[j] = s0[j];
    for (int64_t t = t0; t < t1; ++t) {
      const float dtv = in.dt[(b * d.T + t) * d.H + h];
      const float a = expf(dtv * Ah);
      const bool reset = startsDoc(in.seq, b, t, d.T);
      const float u = valid ? dtv * toF<T>(in.x[((b * d.T + t) * d.H + h) * d.P + pc]) : 0.f;
      const int64_t bc = ((b * d.T + t) * d.G + g) * d.N;
#pragma unroll
      for (int j = 0; j < NPL; ++j) {
        const int64_t n = lane + 32 * j;
        const float bv = n < d.N ? toF<T>(in.Bm[bc + n]) : 0.f;
        s[j] = (reset ? 0.f : a * s[j]) + u * bv;
        hist[t - t0][j] = s[j];
      }
    }
  }
  float G[NPL];
#pragma unroll
  for (int j = 0; j < NPL; ++j) {
    const int64_t n = lane + 32 * j;
    G[j] = (valid && n < d.N) ? gin[sBase + n] : 0.f;
  }
  float dAacc = 0.f, dDacc = 0.f;
  for (int64_t t = t1 - 1; t >= t0; --t) {
    const int64_t tt = t - t0;
    const int64_t bth = (b * d.T + t) * d.H + h;
    const float dtv = in.dt[bth];
    const float a = expf(dtv * Ah);
    const bool reset = startsDoc(in.seq, b, t, d.T);
    const float xv = valid ? toF<T>(in.x[bth * d.P + pc]) : 0.f;
    const float dyv = valid ? toF<Y>(dy[bth * d.P + pc]) : 0.f;
    const int64_t bc = ((b * d.T + t) * d.G + g) * d.N;
    float pGB = 0.f, pSG = 0.f;
#pragma unroll
    for (int j = 0; j < NPL; ++j) {
      const int64_t n = lane + 32 * j;
      const bool ok = n < d.N;
      const float bv = ok ? toF<T>(in.Bm[bc + n]) : 0.f;
      const float cv = ok ? toF<T>(in.Cm[bc + n]) : 0.f;
      G[j] += dyv * cv;  // G_t = dy_t ⊗ C_t + (carried)
      const float sPrev = tt > 0 ? hist[tt - 1][j] : s0[j];
      pGB += G[j] * bv;
      pSG += sPrev * G[j];
      sB[warp][lane + 32 * j] = dtv * xv * G[j];
      sC[warp][lane + 32 * j] = hist[tt][j] * dyv;
    }
    const float dSB = warpSum(pGB);
    const float SG = warpSum(pSG);
    if (valid && lane == 0) dx[bth * d.P + pc] = fromF<T>(Dh * dyv + dtv * dSB);
    const float ddtPart = xv * dSB + (reset ? 0.f : Ah * a * SG);
    if (!reset) dAacc += dtv * a * SG;
    dDacc += dyv * xv;
    if (lane == 0) sDdt[warp] = ddtPart;
    __syncthreads();
    if (threadIdx.x == 0) {
      float s = 0.f;
      for (int w = 0; w < kWarps; ++w) s += sDdt[w];
      atomicAdd(acc.ddt + bth, s);
    }
    for (int64_t n = threadIdx.x; n < d.N; n += blockDim.x) {
      float vb = 0.f, vc = 0.f;
      for (int w = 0; w < kWarps; ++w) {
        vb += sB[w][n];
        vc += sC[w][n];
      }
      atomicAdd(acc.dB + bc + n, vb);
      atomicAdd(acc.dC + bc + n, vc);
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < NPL; ++j) G[j] = reset ? 0.f : a * G[j];  // carry r_t·a_t·G_t into t−1
  }
  if (valid && lane == 0) {
    atomicAdd(acc.dA + h, dAacc);
    if (acc.dD) atomicAdd(acc.dD + h, dDacc);
  }
}

/** Decode step: one warp per (b, h, p), lanes over n. */
template <typename T>
__global__ void ssmStepKernel(T* __restrict__ y, float* __restrict__ newState, const float* __restrict__ state,
                              const T* __restrict__ x, const T* __restrict__ dt, const T* __restrict__ A,
                              const T* __restrict__ Bm, const T* __restrict__ Cm, const T* __restrict__ D, int64_t B,
                              int64_t H, int64_t P, int64_t G, int64_t N) {
  const int lane = threadIdx.x & 31;
  const int64_t rows = B * H * P;
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row = blockIdx.x * int64_t(blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps) {
    const int64_t bh = row / P, b = bh / H, h = bh - b * H, g = h / (H / G);
    const float dtv = toF<T>(dt[bh]);
    const float a = expf(dtv * toF<T>(A[h]));
    const float xv = toF<T>(x[row]);
    const int64_t bc = (b * G + g) * N;
    float acc = 0.f;
    for (int64_t n = lane; n < N; n += 32) {
      const float s = a * state[row * N + n] + dtv * xv * toF<T>(Bm[bc + n]);
      newState[row * N + n] = s;
      acc += s * toF<T>(Cm[bc + n]);
    }
    acc = warpSum(acc);
    if (lane == 0) y[row] = fromF<T>(acc + (D ? toF<T>(D[h]) * xv : 0.f));
  }
}

/** Grid of the per-chunk kernels: (B·H, chunks, p tiles of kWarps rows). */
dim3 chunkGrid(const ScanDims& d) {
  if (d.nc > 65535) throw Error("SsmScan: more than 65535 chunks (raise chunkSize)");
  return dim3(static_cast<unsigned>(d.B * d.H), static_cast<unsigned>(d.nc),
              static_cast<unsigned>((d.P + kWarps - 1) / kWarps));
}

template <typename T, typename Y, int NPL>
void scanForward(Ctx& ctx, Y* y, float* finalState, ScanIn<T> in, const float* init, ScanDims d) {
  const dim3 grid = chunkGrid(d), block(32 * kWarps);
  if (d.nc == 1) {
    chunkScanKernel<T, Y, NPL><<<grid, block, 0, ctx.stream>>>(y, finalState, init, true, in, d);
    checkLaunch("SsmScan (chunk scan)");
    return;
  }
  const int64_t states = d.B * d.nc * d.H * d.P * d.N;
  Scratch local(*ctx.alloc, states * sizeof(float));
  Scratch decay(*ctx.alloc, d.B * d.nc * d.H * sizeof(float));
  chunkStateKernel<T, NPL><<<grid, block, 0, ctx.stream>>>(local.as<float>(), decay.as<float>(), in, d);
  checkLaunch("SsmScan (chunk states)");
  const int64_t elems = d.B * d.H * d.P * d.N;
  chunkCarryKernel<<<gridFor(elems, 128, ctx), 128, 0, ctx.stream>>>(local.as<float>(), decay.as<float>(), init,
                                                                      nullptr, d);
  checkLaunch("SsmScan (chunk carry)");
  chunkScanKernel<T, Y, NPL><<<grid, block, 0, ctx.stream>>>(y, finalState, local.as<float>(), false, in, d);
  checkLaunch("SsmScan (chunk scan)");
}

template <typename T, typename Y, int NPL>
void scanBackward(Ctx& ctx, T* dx, GradAcc acc, float* dInit, const Y* dy, const float* dFinal, ScanIn<T> in,
                  const float* init, ScanDims d) {
  const dim3 grid = chunkGrid(d), block(32 * kWarps);
  const int64_t states = d.B * d.nc * d.H * d.P * d.N;
  const int64_t elems = d.B * d.H * d.P * d.N;
  Scratch start(*ctx.alloc, states * sizeof(float));
  Scratch adj(*ctx.alloc, states * sizeof(float));
  Scratch decay(*ctx.alloc, d.B * d.nc * d.H * sizeof(float));
  chunkStateKernel<T, NPL><<<grid, block, 0, ctx.stream>>>(start.as<float>(), decay.as<float>(), in, d);
  checkLaunch("SsmScanGrad (chunk states)");
  chunkCarryKernel<<<gridFor(elems, 128, ctx), 128, 0, ctx.stream>>>(start.as<float>(), decay.as<float>(), init,
                                                                      nullptr, d);
  checkLaunch("SsmScanGrad (chunk carry)");
  chunkAdjointKernel<T, Y, NPL><<<grid, block, 0, ctx.stream>>>(adj.as<float>(), dy, in, d);
  checkLaunch("SsmScanGrad (chunk adjoints)");
  adjointCarryKernel<<<gridFor(elems, 128, ctx), 128, 0, ctx.stream>>>(adj.as<float>(), decay.as<float>(), dFinal,
                                                                        dInit, d);
  checkLaunch("SsmScanGrad (adjoint carry)");
  chunkGradKernel<T, Y, NPL><<<grid, block, 0, ctx.stream>>>(dx, acc, start.as<float>(), adj.as<float>(), dy, in, d);
  checkLaunch("SsmScanGrad (chunk gradients)");
}

int lanesFor(int64_t N) {
  if (N <= 32) return 1;
  if (N <= 64) return 2;
  if (N <= 128) return 4;
  if (N <= 256) return 8;
  throw Error("SsmScan: state size N = " + std::to_string(N) + " is above 256");
}

/**
 * FALCON_H1_CUDA_SSD=cuda-cores keeps f16/bf16 scans on this file's recurrence kernels (A/B timing, a way out);
 * otherwise they run as the SSD in matmul form on tensor cores (ssd_tc.cu) wherever ssdTcSupported says so.
 */
bool ssdTensorCoresEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("FALCON_H1_CUDA_SSD");
    return v == nullptr || std::string(v) != "cuda-cores";
  }();
  return enabled;
}

#define FH_NPL_DISPATCH(N, ...)    \
  switch (lanesFor(N)) {           \
    case 1: {                      \
      constexpr int NPL = 1;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    case 2: {                      \
      constexpr int NPL = 2;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    case 4: {                      \
      constexpr int NPL = 4;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
    default: {                     \
      constexpr int NPL = 8;       \
      __VA_ARGS__;                 \
      break;                       \
    }                              \
  }

/**
 * dt [B·T·H], A [H] and D [H] (optional) as the kernels read them, f32: the inputs themselves when they are f32 (a
 * bf16/f16 model's, or an f32 scan's), else — the same 16-bit dtype as the activations — widened once into scratch
 * (exact; a few floats per token and head).
 */
class ScanParameters {
 public:
  ScanParameters(Ctx& ctx, const char* what, int dtype, int paramDtype, const void* dt, const void* A, const void* D,
                 int64_t nDt, int64_t H) {
    if (paramDtype != F32 && paramDtype != dtype)
      throw Error(std::string(what) + ": dt, A and D must be f32 or the activations' dtype " + dtypeName(dtype) +
                  ", got " + dtypeName(paramDtype));
    if (paramDtype == F32) {
      dt_ = static_cast<const float*>(dt);
      A_ = static_cast<const float*>(A);
      D_ = static_cast<const float*>(D);
      return;
    }
    wide_ = std::make_unique<Scratch>(*ctx.alloc, (nDt + 2 * H) * sizeof(float));
    float* base = wide_->as<float>();
    launchCast(ctx, paramDtype, F32, base, dt, nDt);
    launchCast(ctx, paramDtype, F32, base + nDt, A, H);
    if (D != nullptr) launchCast(ctx, paramDtype, F32, base + nDt + H, D, H);
    dt_ = base;
    A_ = base + nDt;
    D_ = D != nullptr ? base + nDt + H : nullptr;
  }
  const float* dt() const { return dt_; }
  const float* A() const { return A_; }
  const float* D() const { return D_; }

 private:
  std::unique_ptr<Scratch> wide_;
  const float* dt_ = nullptr;
  const float* A_ = nullptr;
  const float* D_ = nullptr;
};

}  // namespace

void launchSsmScan(Ctx& ctx, int dtype, int paramDtype, void* y, float* finalState, const void* x, const void* dt,
                   const void* A, const void* Bm, const void* Cm, const void* D, const float* initialState,
                   const int32_t* seqIdx, const ScanArgs& a) {
  const int64_t L = a.chunk < 1 ? 1 : (a.chunk > a.T && a.T > 0 ? a.T : a.chunk);
  ScanDims d{a.B, a.T, a.H, a.P, a.G, a.N, L, a.T == 0 ? 0 : (a.T + L - 1) / L};
  if (a.B == 0 || a.H == 0 || a.P == 0) return;
  if (a.T == 0) {
    // No tokens: the final state is the initial state (or zeros).
    const int64_t elems = a.B * a.H * a.P * a.N;
    if (elems == 0) return;
    if (initialState)
      FH_CHECK(cudaMemcpyAsync(finalState, initialState, elems * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream));
    else
      FH_CHECK(cudaMemsetAsync(finalState, 0, elems * sizeof(float), ctx.stream));
    return;
  }
  const ScanParameters params(ctx, "SsmScan", dtype, paramDtype, dt, A, D, a.B * a.T * a.H, a.H);
  if (ssdTensorCoresEnabled() && ssdTcSupported(ctx, dtype, a.B, a.H, a.P, a.N)) {
    launchSsdForwardTc(ctx, dtype, paramDtype, y, finalState, x, params.dt(), params.A(), Bm, Cm, params.D(),
                       initialState, seqIdx, SsdDims{a.B, a.T, a.H, a.P, a.G, a.N});
    return;
  }
  FH_DISPATCH_FLOAT(dtype, "SsmScan", {
    ScanIn<T> in{static_cast<const T*>(x),  params.dt(), params.A(), static_cast<const T*>(Bm),
                 static_cast<const T*>(Cm), params.D(), seqIdx};
    withScanOutputType<T>(paramDtype, [&](auto tag) {
      using Y = decltype(tag);
      FH_NPL_DISPATCH(a.N, scanForward<T, Y, NPL>(ctx, static_cast<Y*>(y), finalState, in, initialState, d));
    });
  });
}

void launchSsmScanGrad(Ctx& ctx, int dtype, int paramDtype, void* dx, void* ddt, void* dA, void* dBm, void* dCm,
                       void* dD, float* dinitialState, const void* dy, const float* dFinalState, const void* x,
                       const void* dt, const void* A, const void* Bm, const void* Cm, const void* D,
                       const float* initialState, const int32_t* seqIdx, const ScanArgs& a) {
  const int64_t L = kBwdChunk;
  ScanDims d{a.B, a.T, a.H, a.P, a.G, a.N, L, (a.T + L - 1) / L};
  const int64_t nDt = a.B * a.T * a.H, nBC = a.B * a.T * a.G * a.N;
  const ScanParameters params(ctx, "SsmScanGrad", dtype, paramDtype, dt, A, D, nDt, a.H);
  Scratch accDt(*ctx.alloc, nDt * sizeof(float));
  Scratch accA(*ctx.alloc, a.H * sizeof(float));
  Scratch accB(*ctx.alloc, nBC * sizeof(float));
  Scratch accC(*ctx.alloc, nBC * sizeof(float));
  Scratch accD(*ctx.alloc, a.H * sizeof(float));
  FH_CHECK(cudaMemsetAsync(accDt.as<float>(), 0, nDt * sizeof(float), ctx.stream));
  FH_CHECK(cudaMemsetAsync(accA.as<float>(), 0, a.H * sizeof(float), ctx.stream));
  FH_CHECK(cudaMemsetAsync(accB.as<float>(), 0, nBC * sizeof(float), ctx.stream));
  FH_CHECK(cudaMemsetAsync(accC.as<float>(), 0, nBC * sizeof(float), ctx.stream));
  FH_CHECK(cudaMemsetAsync(accD.as<float>(), 0, a.H * sizeof(float), ctx.stream));
  const int64_t elems = a.B * a.H * a.P * a.N;
  if (a.T == 0) {
    if (dinitialState) {
      if (dFinalState)
        FH_CHECK(cudaMemcpyAsync(dinitialState, dFinalState, elems * sizeof(float), cudaMemcpyDeviceToDevice,
                                 ctx.stream));
      else
        FH_CHECK(cudaMemsetAsync(dinitialState, 0, elems * sizeof(float), ctx.stream));
    }
  } else if (a.B > 0 && a.H > 0 && a.P > 0) {
    GradAcc acc{accDt.as<float>(), accA.as<float>(), accB.as<float>(), accC.as<float>(),
                dD ? accD.as<float>() : nullptr};
    if (ssdTensorCoresEnabled() && ssdTcSupported(ctx, dtype, a.B, a.H, a.P, a.N)) {
      launchSsdBackwardTc(ctx, dtype, paramDtype, dx, SsdGradAcc{acc.ddt, acc.dA, acc.dB, acc.dC, acc.dD},
                          dinitialState, dy, dFinalState, x, params.dt(), params.A(), Bm, Cm, params.D(), initialState,
                          seqIdx, SsdDims{a.B, a.T, a.H, a.P, a.G, a.N});
    } else {
      FH_DISPATCH_FLOAT(dtype, "SsmScanGrad", {
        ScanIn<T> in{static_cast<const T*>(x),  params.dt(), params.A(), static_cast<const T*>(Bm),
                     static_cast<const T*>(Cm), params.D(), seqIdx};
        withScanOutputType<T>(paramDtype, [&](auto tag) {
          using Y = decltype(tag);
          FH_NPL_DISPATCH(a.N, scanBackward<T, Y, NPL>(ctx, static_cast<T*>(dx), acc, dinitialState,
                                                       static_cast<const Y*>(dy), dFinalState, in, initialState, d));
        });
      });
    }
  }
  launchCast(ctx, F32, paramDtype, ddt, accDt.as<float>(), nDt);
  launchCast(ctx, F32, paramDtype, dA, accA.as<float>(), a.H);
  launchCast(ctx, F32, dtype, dBm, accB.as<float>(), nBC);
  launchCast(ctx, F32, dtype, dCm, accC.as<float>(), nBC);
  if (dD) launchCast(ctx, F32, paramDtype, dD, accD.as<float>(), a.H);
}

void launchSsmStep(Ctx& ctx, int dtype, void* y, float* newState, const float* state, const void* x, const void* dt,
                   const void* A, const void* Bm, const void* Cm, const void* D, int64_t B, int64_t H, int64_t P,
                   int64_t G, int64_t N) {
  const int64_t rows = B * H * P;
  if (rows == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SsmStep",
                    ssmStepKernel<T><<<gridFor(rows * 32, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(y), newState, state, static_cast<const T*>(x), static_cast<const T*>(dt),
                        static_cast<const T*>(A), static_cast<const T*>(Bm), static_cast<const T*>(Cm),
                        static_cast<const T*>(D), B, H, P, G, N));
  checkLaunch("SsmStep");
}

}  // namespace fh
