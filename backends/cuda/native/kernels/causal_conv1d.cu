/*
 * causal_conv1d.cu — causal depthwise conv1d over time, f32 arithmetic.
 *
 *   u[b,t,c] = bias[c] + Σ_{k<K} weight[c,k] · xin[b, t−(K−1)+k, c];  y = act(u)   (act: identity or silu)
 * xin is x for s ≥ 0 and initialState[b, c, K−1+s] for s < 0 (zeros without it). With seqIdx a term reads s only
 * if s is in t's document; the initial-state columns belong to the document of t = 0.
 *
 * Backward with du = dy ⊙ act'(u) (u recomputed):
 *   dx[b,s,c]  = Σ_k du[b, s+K−1−k, c]·weight[c,k]  over the terms that read s
 *   dinitialState likewise for s < 0;  dweight[c,k] = Σ_{b,t} du·xin;  dbias[c] = Σ_{b,t} du
 * du is computed once per element into an f32 scratch (convDuKernel), so dx, dinitialState and dweight read it
 * instead of recomputing u for each of the K terms that use it (K² work per element before).
 * dweight/dbias: blocks of 32 channels × 8 time lanes reduce in shared memory, then add to f32 accumulators with
 * one atomic per block and channel; the accumulators are rounded to the weight's dtype at the end.
 */
#include "causal_conv1d.cuh"
#include "common.cuh"
#include "layout.cuh"

namespace fh {

namespace {

constexpr int kMaxK = 8;

template <typename T>
struct ConvIn {
  const T* x;
  const T* w;
  const T* bias;
  const T* init;
  const int32_t* seq;
};

/** Whether output (b, t) reads input column s. */
template <typename T>
__device__ __forceinline__ bool reads(const ConvIn<T>& in, const ConvArgs& a, int64_t b, int64_t t, int64_t s) {
  if (s < 0 && in.init == nullptr) return false;
  if (in.seq == nullptr) return true;
  const int64_t docOfS = s >= 0 ? b * a.T + s : b * a.T;
  return in.seq[docOfS] == in.seq[b * a.T + t];
}

template <typename T>
__device__ __forceinline__ float xinAt(const ConvIn<T>& in, const ConvArgs& a, int64_t b, int64_t s, int64_t c) {
  return s >= 0 ? toF<T>(in.x[(b * a.T + s) * a.C + c]) : toF<T>(in.init[(b * a.C + c) * (a.K - 1) + (a.K - 1 + s)]);
}

template <typename T>
__device__ __forceinline__ float preAct(const ConvIn<T>& in, const ConvArgs& a, int64_t b, int64_t t, int64_t c) {
  float u = in.bias ? toF<T>(in.bias[c]) : 0.f;
  for (int64_t k = 0; k < a.K; ++k) {
    const int64_t s = t - (a.K - 1) + k;
    if (reads(in, a, b, t, s)) u += toF<T>(in.w[c * a.K + k]) * xinAt(in, a, b, s, c);
  }
  return u;
}

template <typename T>
__device__ __forceinline__ float duAt(const ConvIn<T>& in, const ConvArgs& a, const T* dy, int64_t b, int64_t t,
                                      int64_t c) {
  const float g = toF<T>(dy[(b * a.T + t) * a.C + c]);
  return a.silu ? g * siluGradF(preAct(in, a, b, t, c)) : g;
}

template <typename T>
__global__ void convForwardKernel(T* __restrict__ y, ConvIn<T> in, ConvArgs a) {
  const int64_t n = a.B * a.T * a.C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e % a.C, bt = e / a.C, t = bt % a.T, b = bt / a.T;
    const float u = preAct(in, a, b, t, c);
    y[e] = fromF<T>(a.silu ? siluF(u) : u);
  }
}

/**
 * The forward as the kernel above computes it (the same terms, accumulated in the same order), a thread per channel
 * and run of kConvRun time steps of one row: the channel's weights and bias and the K − 1 inputs before the run are
 * loaded once, then each step reads its own input (threads over channels: coalesced) and slides the window — no
 * per-element 64-bit index division and each input read once instead of K times. With seqIdx the documents of the
 * window's columns slide along with it. K ≤ kMaxK; kK = 4 (Falcon-H1's width) compiles the slot loops exactly, kK = 0
 * takes any K (an instruction-bound kernel otherwise: Nsight Compute counted ~160 instructions per output for the
 * general form at K = 4). With kDu it stores the backward's du = dy ⊙ act'(u) instead of y
 * (convDuKernel's values).
 */
constexpr int kConvRun = 32;
/** Steps whose loads a run kernel issues together. */
constexpr int kConvLoads = 8;

template <typename T, int kK, bool kDu = false>
__global__ void __launch_bounds__(256) convForwardRunKernel(T* __restrict__ y, ConvIn<T> in, ConvArgs a,
                                                            float* __restrict__ du = nullptr,
                                                            const T* __restrict__ dy = nullptr) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= a.C) return;
  const int64_t b = blockIdx.z, t0 = int64_t(blockIdx.y) * kConvRun;
  const int64_t t1 = t0 + kConvRun < a.T ? t0 + kConvRun : a.T;
  // kK > 0: the kernel width fixed at compile time (every slot loop exact); 0: a.K ≤ kMaxK at run time.
  constexpr int kSlots = kK > 0 ? kK : kMaxK;
  const int K = kK > 0 ? kK : static_cast<int>(a.K);
  const T* xRow = in.x + b * a.T * a.C + c;
  const int32_t* seqRow = in.seq ? in.seq + b * a.T : nullptr;
  float w[kSlots], win[kSlots];
  int32_t doc[kSlots];   // the document of each window column (seqIdx), or 0
  bool has[kSlots];      // whether the column exists (s ≥ 0, or an initial state)
#pragma unroll
  for (int k = 0; k < kSlots; ++k) {
    w[k] = k < K ? toF<T>(in.w[c * K + k]) : 0.f;
    // Window slot k < K − 1 holds column s = t0 − (K − 1) + k.
    const int64_t s = t0 - (K - 1) + k;
    has[k] = k < K - 1 && (s >= 0 || in.init != nullptr);
    win[k] = !has[k] ? 0.f : s >= 0 ? toF<T>(xRow[s * a.C]) : toF<T>(in.init[(b * a.C + c) * (K - 1) + (K - 1 + s)]);
    doc[k] = k < K - 1 && seqRow ? seqRow[s >= 0 ? s : 0] : 0;  // initial-state columns: the document of t = 0
  }
  const float bias = in.bias ? toF<T>(in.bias[c]) : 0.f;
  for (int64_t tg = t0; tg < t1; tg += kConvLoads) {
    // The group's inputs (and documents, and dy) first, all in flight together: the stores below may alias them for
    // the compiler, so a load per step would wait for the previous step's store.
    float xs[kConvLoads], gs[kConvLoads];
    int32_t ds[kConvLoads];
#pragma unroll
    for (int i = 0; i < kConvLoads; ++i) {
      const int64_t t = tg + i;
      xs[i] = t < t1 ? toF<T>(xRow[t * a.C]) : 0.f;
      ds[i] = t < t1 && seqRow ? seqRow[t] : 0;
      if constexpr (kDu) gs[i] = t < t1 ? toF<T>(dy[(b * a.T + t) * a.C + c]) : 0.f;
    }
#pragma unroll
    for (int i = 0; i < kConvLoads; ++i) {
      const int64_t t = tg + i;
      if (t >= t1) break;
      // Slot K − 1 is this step's own input.
      const float xt = xs[i];
      const int32_t docT = ds[i];
      float u = in.bias ? bias : 0.f;
#pragma unroll
      for (int k = 0; k < kSlots; ++k) {
        if (k >= K) break;
        const bool own = k == K - 1;
        const bool readsK = own || (has[k] && doc[k] == docT);
        if (readsK) u += w[k] * (own ? xt : win[k]);
      }
      const int64_t at = (b * a.T + t) * a.C + c;
      if constexpr (kDu) {
        const float g = gs[i];
        du[at] = a.silu ? g * siluGradF(u) : g;  // duAt's value
      } else {
        y[at] = fromF<T>(a.silu ? siluF(u) : u);
      }
      // Slide: slot k takes slot k + 1's column, slot K − 2 this step's.
#pragma unroll
      for (int k = 0; k + 1 < kSlots; ++k) {
        if (k + 1 < K - 1) {
          win[k] = win[k + 1];
          doc[k] = doc[k + 1];
          has[k] = has[k + 1];
        } else if (k + 1 == K - 1) {
          win[k] = xt;
          doc[k] = docT;
          has[k] = true;
        }
      }
    }
  }
}

/**
 * convGradXKernel's sums (the same terms in the same order), a thread per channel and run of kConvRun columns s: the
 * du values of the steps that read column s slide along as a window, each loaded once — slot k holds step
 * t = s + K − 1 − k (term k's), so every index is fixed at compile time.
 */
template <typename T, int kK>
__global__ void __launch_bounds__(256) convGradXRunKernel(T* __restrict__ dx, const float* __restrict__ du,
                                                          ConvIn<T> in, ConvArgs a) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= a.C) return;
  const int64_t b = blockIdx.z, s0 = int64_t(blockIdx.y) * kConvRun;
  const int64_t s1 = s0 + kConvRun < a.T ? s0 + kConvRun : a.T;
  // kK > 0: the kernel width fixed at compile time (every slot loop exact); 0: a.K ≤ kMaxK at run time.
  constexpr int kSlots = kK > 0 ? kK : kMaxK;
  const int K = kK > 0 ? kK : static_cast<int>(a.K);
  const float* duRow = du + b * a.T * a.C + c;
  const int32_t* seqRow = in.seq ? in.seq + b * a.T : nullptr;
  float w[kSlots], win[kSlots];
  int32_t doc[kSlots];  // slot k: step t's du, its document, and whether t < T
  bool has[kSlots];
#pragma unroll
  for (int k = 0; k < kSlots; ++k) {
    w[k] = k < K ? toF<T>(in.w[c * K + k]) : 0.f;
    // Before the first column the slots hold the previous column's steps: t = s0 − 1 + K − 1 − k (k ≤ K − 2).
    const int64_t t = s0 + K - 2 - k;
    has[k] = k <= K - 2 && t < a.T;
    win[k] = has[k] ? duRow[t * a.C] : 0.f;
    doc[k] = has[k] && seqRow ? seqRow[t] : 0;
  }
  for (int64_t sg = s0; sg < s1; sg += kConvLoads) {
    // The group's new du values and documents first, in flight together (as in convForwardRunKernel).
    float dn[kConvLoads];
    int32_t dd[kConvLoads], dc[kConvLoads];
#pragma unroll
    for (int i = 0; i < kConvLoads; ++i) {
      const int64_t tNew = sg + i + K - 1;
      dn[i] = sg + i < s1 && tNew < a.T ? duRow[tNew * a.C] : 0.f;
      dd[i] = sg + i < s1 && tNew < a.T && seqRow ? seqRow[tNew] : 0;
      dc[i] = sg + i < s1 && seqRow ? seqRow[sg + i] : 0;
    }
#pragma unroll
    for (int i = 0; i < kConvLoads; ++i) {
      const int64_t s = sg + i;
      if (s >= s1) break;
      // Slide: slot k takes slot k − 1's step, slot 0 the new step s + K − 1.
#pragma unroll
      for (int k = kSlots - 1; k > 0; --k)
        if (k < K) {
          win[k] = win[k - 1];
          doc[k] = doc[k - 1];
          has[k] = has[k - 1];
        }
      has[0] = s + K - 1 < a.T;
      win[0] = dn[i];
      doc[0] = dd[i];
      const int32_t docS = dc[i];
      float acc = 0.f;
#pragma unroll
      for (int k = 0; k < kSlots; ++k) {
        if (k >= K) break;
        if (has[k] && doc[k] == docS) acc += win[k] * w[k];
      }
      dx[(b * a.T + s) * a.C + c] = fromF<T>(acc);
    }
  }
}

/** du[b,t,c] = dy ⊙ act'(u), u recomputed: once per element. */
template <typename T>
__global__ void convDuKernel(float* __restrict__ du, const T* __restrict__ dy, ConvIn<T> in, ConvArgs a) {
  const int64_t n = a.B * a.T * a.C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e % a.C, bt = e / a.C, t = bt % a.T, b = bt / a.T;
    du[e] = duAt(in, a, dy, b, t, c);
  }
}

template <typename T>
__global__ void convGradXKernel(T* __restrict__ dx, const float* __restrict__ du, ConvIn<T> in, ConvArgs a) {
  const int64_t n = a.B * a.T * a.C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e % a.C, bs = e / a.C, s = bs % a.T, b = bs / a.T;
    float acc = 0.f;
    for (int64_t k = 0; k < a.K; ++k) {
      const int64_t t = s + (a.K - 1) - k;
      if (t >= a.T || !reads(in, a, b, t, s)) continue;
      acc += du[(b * a.T + t) * a.C + c] * toF<T>(in.w[c * a.K + k]);
    }
    dx[e] = fromF<T>(acc);
  }
}

template <typename T>
__global__ void convGradInitKernel(T* __restrict__ dinit, const float* __restrict__ du, ConvIn<T> in, ConvArgs a) {
  const int64_t K1 = a.K - 1;
  const int64_t n = a.B * a.C * K1;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = e % K1, bc = e / K1, c = bc % a.C, b = bc / a.C;
    const int64_t s = j - K1;  // < 0
    float acc = 0.f;
    for (int64_t k = 0; k < a.K; ++k) {
      const int64_t t = s + K1 - k;
      if (t < 0 || t >= a.T || !reads(in, a, b, t, s)) continue;
      acc += du[(b * a.T + t) * a.C + c] * toF<T>(in.w[c * a.K + k]);
    }
    dinit[e] = fromF<T>(acc);
  }
}

/** Block: 32 channels × 8 lanes over (b, t); grid.y splits the B·T range. */
template <typename T>
__global__ void convGradWeightKernel(float* __restrict__ dwAcc, float* __restrict__ dbAcc,
                                     const float* __restrict__ duAll, ConvIn<T> in, ConvArgs a, int64_t btPerBlock) {
  __shared__ float part[8][32][kMaxK + 1];
  const int cx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  const int64_t c = int64_t(blockIdx.x) * 32 + cx;
  const int64_t bt0 = int64_t(blockIdx.y) * btPerBlock;
  const int64_t bt1 = bt0 + btPerBlock < a.B * a.T ? bt0 + btPerBlock : a.B * a.T;
  float dw[kMaxK];
  float db = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxK; ++k) dw[k] = 0.f;
  if (c < a.C) {
    for (int64_t bt = bt0 + ty; bt < bt1; bt += 8) {
      const int64_t b = bt / a.T, t = bt - b * a.T;
      const float du = duAll[bt * a.C + c];
      db += du;
#pragma unroll
      for (int k = 0; k < kMaxK; ++k) {
        if (k >= a.K) break;
        const int64_t s = t - (a.K - 1) + k;
        if (reads(in, a, b, t, s)) dw[k] += du * xinAt(in, a, b, s, c);
      }
    }
  }
#pragma unroll
  for (int k = 0; k < kMaxK; ++k) part[ty][cx][k] = dw[k];
  part[ty][cx][kMaxK] = db;
  __syncthreads();
  if (ty == 0 && c < a.C) {
    for (int k = 0; k <= kMaxK; ++k) {
      if (k < kMaxK && k >= a.K) continue;
      float s = 0.f;
      for (int r = 0; r < 8; ++r) s += part[r][cx][k];
      if (k == kMaxK) {
        if (dbAcc) atomicAdd(dbAcc + c, s);
      } else {
        atomicAdd(dwAcc + c * a.K + k, s);
      }
    }
  }
}

template <typename T>
__global__ void convUpdateKernel(T* __restrict__ y, T* __restrict__ newState, const T* __restrict__ state,
                                 const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ bias,
                                 int64_t B, int64_t C, int64_t K, bool silu) {
  const int64_t n = B * C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e % C;
    const T* st = state + e * K;
    T* ns = newState + e * K;
    float u = bias ? toF<T>(bias[c]) : 0.f;
    for (int64_t k = 0; k < K; ++k) {
      const T v = k < K - 1 ? st[k + 1] : x[e];
      ns[k] = v;
      u += toF<T>(w[c * K + k]) * toF<T>(v);
    }
    y[e] = fromF<T>(silu ? siluF(u) : u);
  }
}

/** Whether the run kernels take the shape: K ≤ kMaxK, and the rows and runs within a grid's y and z limits. */
bool runsFit(const ConvArgs& a) { return a.K <= kMaxK && a.B <= 65535 && (a.T + kConvRun - 1) / kConvRun <= 65535; }

/** The run kernels' grid: 256 channels × one run of kConvRun steps × one row per block. */
dim3 runGrid(const ConvArgs& a) {
  return dim3(static_cast<unsigned>((a.C + 255) / 256), static_cast<unsigned>((a.T + kConvRun - 1) / kConvRun),
              static_cast<unsigned>(a.B));
}

}  // namespace

void launchCausalConv1d(Ctx& ctx, int dtype, void* y, const void* x, const void* weight, const void* bias,
                        const void* initialState, const int32_t* seqIdx, const ConvArgs& a) {
  const int64_t n = a.B * a.T * a.C;
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "CausalConv1d", {
    ConvIn<T> in{static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
                 static_cast<const T*>(initialState), seqIdx};
    if (runsFit(a)) {
      if (a.K == 4)  // Falcon-H1's width: the slot loops exact at compile time
        convForwardRunKernel<T, 4><<<runGrid(a), 256, 0, ctx.stream>>>(static_cast<T*>(y), in, a);
      else
        convForwardRunKernel<T, 0><<<runGrid(a), 256, 0, ctx.stream>>>(static_cast<T*>(y), in, a);
    } else {
      convForwardKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(static_cast<T*>(y), in, a);
    }
  });
  checkLaunch("CausalConv1d");
}

void launchCausalConv1dGrad(Ctx& ctx, int dtype, void* dx, void* dweight, void* dbias, void* dinitialState,
                            const void* dy, const void* x, const void* weight, const void* bias,
                            const void* initialState, const int32_t* seqIdx, const ConvArgs& a) {
  if (a.K > kMaxK) throw Error("CausalConv1dGrad: kernel width above 8 is not supported");
  const int64_t n = a.B * a.T * a.C;
  Scratch dwAcc(*ctx.alloc, a.C * a.K * sizeof(float));
  Scratch dbAcc(*ctx.alloc, (dbias ? a.C : 0) * sizeof(float));
  Scratch du(*ctx.alloc, n * sizeof(float));
  FH_CHECK(cudaMemsetAsync(dwAcc.as<float>(), 0, a.C * a.K * sizeof(float), ctx.stream));
  if (dbias) FH_CHECK(cudaMemsetAsync(dbAcc.as<float>(), 0, a.C * sizeof(float), ctx.stream));
  FH_DISPATCH_FLOAT(dtype, "CausalConv1dGrad", {
    ConvIn<T> in{static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
                 static_cast<const T*>(initialState), seqIdx};
    const T* g = static_cast<const T*>(dy);
    if (n > 0) {
      if (runsFit(a)) {
        const dim3 runs = runGrid(a);
        if (a.K == 4) {  // Falcon-H1's width: the slot loops exact at compile time
          convForwardRunKernel<T, 4, true><<<runs, 256, 0, ctx.stream>>>(nullptr, in, a, du.as<float>(), g);
          convGradXRunKernel<T, 4><<<runs, 256, 0, ctx.stream>>>(static_cast<T*>(dx), du.as<float>(), in, a);
        } else {
          convForwardRunKernel<T, 0, true><<<runs, 256, 0, ctx.stream>>>(nullptr, in, a, du.as<float>(), g);
          convGradXRunKernel<T, 0><<<runs, 256, 0, ctx.stream>>>(static_cast<T*>(dx), du.as<float>(), in, a);
        }
      } else {
        convDuKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(du.as<float>(), g, in, a);
        convGradXKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(static_cast<T*>(dx), du.as<float>(), in,
                                                                          a);
      }
      const int64_t bt = a.B * a.T;
      const int64_t chunks = bt < 256 ? 1 : (bt + 255) / 256 < 1024 ? (bt + 255) / 256 : 1024;
      const int64_t per = (bt + chunks - 1) / chunks;
      dim3 grid(static_cast<unsigned>((a.C + 31) / 32), static_cast<unsigned>(chunks));
      convGradWeightKernel<T><<<grid, 256, 0, ctx.stream>>>(dwAcc.as<float>(), dbias ? dbAcc.as<float>() : nullptr,
                                                            du.as<float>(), in, a, per);
    }
    if (dinitialState && a.K > 1) {
      const int64_t m = a.B * a.C * (a.K - 1);
      convGradInitKernel<T><<<gridFor(m, 256, ctx), 256, 0, ctx.stream>>>(static_cast<T*>(dinitialState),
                                                                         du.as<float>(), in, a);
    }
  });
  checkLaunch("CausalConv1dGrad");
  launchCast(ctx, F32, dtype, dweight, dwAcc.as<float>(), a.C * a.K);
  if (dbias) launchCast(ctx, F32, dtype, dbias, dbAcc.as<float>(), a.C);
}

void launchCausalConv1dUpdate(Ctx& ctx, int dtype, void* y, void* newState, const void* convState, const void* x,
                              const void* weight, const void* bias, int64_t B, int64_t C, int64_t K, bool silu) {
  const int64_t n = B * C;
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "CausalConv1dUpdate",
                    convUpdateKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(y), static_cast<T*>(newState), static_cast<const T*>(convState),
                        static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), B, C, K,
                        silu));
  checkLaunch("CausalConv1dUpdate");
}

}  // namespace fh
