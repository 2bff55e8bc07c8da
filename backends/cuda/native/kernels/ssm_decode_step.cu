/*
 * ssm_decode_step.cu — SsmDecodeStep: one Mamba2 decode step after in_proj in one launch (a decode step is
 * launch-bound: this replaces three slices, dt's Add and Softplus, the conv update, the SSM step and the gate).
 *
 * Grid (P tiles, H, B), kThreads threads: a block owns kRows rows p of one head h of one batch row b.
 *   1. the conv update of the channels it reads — its rows' x channels and its group's N B and N C channels (the
 *      B/C conv is recomputed by each block of the group: 2N dot products of K, cheaper than another launch) —
 *      rounded to the activations' dtype (the contract's one stored intermediate) into shared memory. Each
 *      block writes the next conv state of its own x channels; only the group's first head, first tile writes
 *      the B/C channels' (the next state is a new buffer, so no block reads what another writes: no atomics);
 *   2. dt = clamp(softplus(dtRaw + dtBias[h])), decay = exp(dt·A[h]), all f32;
 *   3. one warp per row p, lanes over n (four consecutive n per lane with 16-byte loads when N % 4 == 0):
 *      s' = decay·s + dt·x_p·B_n, y_p = Σ_n s'·C_n + D·x_p, then y_p·silu(z_p) in f32, stored once.
 */
#include "common.cuh"
#include "ssm_decode_step.cuh"

namespace fh {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
/** Rows (p) per block: four per warp, so a 0.5B head (P = 64) spreads over four blocks. */
constexpr int kRows = 16;

struct DecodeDims {
  int64_t B, H, P, G, N, K, dSsm, convDim, width;
  bool convSilu, gate;
  float dtMin, dtMax;
};

template <typename T>
__device__ __forceinline__ float convChannel(T* nextConv, const T* convState, const T* convWeight, const T* convBias,
                                             T xin, int64_t b, int64_t c, bool write, const DecodeDims& d) {
  const T* s = convState + (b * d.convDim + c) * d.K;
  T* next = nextConv + (b * d.convDim + c) * d.K;
  const T* w = convWeight + c * d.K;
  float u = convBias ? toF<T>(convBias[c]) : 0.f;
  for (int64_t k = 0; k + 1 < d.K; ++k) {
    const T v = s[k + 1];
    u += toF<T>(w[k]) * toF<T>(v);
    if (write) next[k] = v;
  }
  u += toF<T>(w[d.K - 1]) * toF<T>(xin);
  if (write) next[d.K - 1] = xin;
  return roundTo<T>(d.convSilu ? siluF(u) : u);
}

template <typename T, typename Y, bool kVec4>
__global__ void __launch_bounds__(kThreads)
    ssmDecodeStepKernel(Y* __restrict__ y, T* __restrict__ nextConv, float* __restrict__ nextState,
                        const T* __restrict__ zxbcdt, const T* __restrict__ convState,
                        const T* __restrict__ convWeight, const T* __restrict__ convBias,
                        const float* __restrict__ ssmState, const float* __restrict__ dtBias,
                        const float* __restrict__ A, const float* __restrict__ D, DecodeDims d) {
  extern __shared__ __align__(16) float shared[];  // 16-byte aligned: the float4 reads of sB and sC
  float* sB = shared;            // [N]
  float* sC = shared + d.N;      // [N]
  float* sx = shared + 2 * d.N;  // [kRows]
  const int64_t b = blockIdx.z, h = blockIdx.y, p0 = int64_t(blockIdx.x) * kRows;
  const int rows = static_cast<int>(d.P - p0 < kRows ? d.P - p0 : kRows);
  const int64_t headsPerGroup = d.H / d.G, g = h / headsPerGroup;
  const int64_t gn = d.G * d.N;
  const T* in = zxbcdt + b * d.width;
  const bool writesBC = h % headsPerGroup == 0 && blockIdx.x == 0;

  // 1. The conv update of this block's channels.
  for (int64_t i = threadIdx.x; i < rows + 2 * d.N; i += blockDim.x) {
    int64_t c;
    float* dst;
    if (i < rows) {
      c = h * d.P + p0 + i;
      dst = sx + i;
    } else if (i < rows + d.N) {
      c = d.dSsm + g * d.N + (i - rows);
      dst = sB + (i - rows);
    } else {
      c = d.dSsm + gn + g * d.N + (i - rows - d.N);
      dst = sC + (i - rows - d.N);
    }
    *dst = convChannel<T>(nextConv, convState, convWeight, convBias, in[d.dSsm + c], b, c, i < rows || writesBC, d);
  }
  __syncthreads();

  // 2. dt and the decay, in f32.
  const float raw = toF<T>(in[d.dSsm + d.convDim + h]) + dtBias[h];
  float dt = fmaxf(raw, 0.f) + log1pf(expf(-fabsf(raw)));  // softplus, as the Softplus kernel computes it
  // softplus is positive: the default limit (0, ∞) changes nothing, and is skipped (as the composition's Clamp is).
  if (d.dtMin > 0.f || d.dtMax < INFINITY) dt = fminf(fmaxf(dt, d.dtMin), d.dtMax);
  const float decay = expf(dt * A[h]);
  const float skip = D ? D[h] : 0.f;

  // 3. The state update and y, one warp per row.
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int r = warp; r < rows; r += kWarps) {
    const int64_t p = p0 + r;
    const int64_t row = (b * d.H + h) * d.P + p;
    const float xv = sx[r];
    const float dx = dt * xv;
    float acc = 0.f;
    if constexpr (kVec4) {
      const float4* s4 = reinterpret_cast<const float4*>(ssmState + row * d.N);
      float4* n4 = reinterpret_cast<float4*>(nextState + row * d.N);
      // sB and sC start 16-byte aligned too (N % 4 == 0): 128-bit shared loads, no bank conflicts.
      const float4* b4 = reinterpret_cast<const float4*>(sB);
      const float4* c4 = reinterpret_cast<const float4*>(sC);
      for (int64_t q = lane; q < d.N / 4; q += 32) {
        const float4 s = s4[q], bq = b4[q], cq = c4[q];
        float4 o;
        o.x = decay * s.x + dx * bq.x;
        o.y = decay * s.y + dx * bq.y;
        o.z = decay * s.z + dx * bq.z;
        o.w = decay * s.w + dx * bq.w;
        n4[q] = o;
        acc += o.x * cq.x + o.y * cq.y + o.z * cq.z + o.w * cq.w;
      }
    } else {
      for (int64_t n = lane; n < d.N; n += 32) {
        const float s = decay * ssmState[row * d.N + n] + dx * sB[n];
        nextState[row * d.N + n] = s;
        acc += s * sC[n];
      }
    }
    acc = warpSum(acc);
    if (lane == 0) {
      float out = acc + skip * xv;
      if (d.gate) out *= siluF(toF<T>(in[h * d.P + p]));
      y[b * d.dSsm + h * d.P + p] = fromF<Y>(out);
    }
  }
}

template <typename T, typename Y>
void launchTyped(Ctx& ctx, Y* y, T* nextConv, float* nextState, const T* zxbcdt, const T* convState,
                 const T* convWeight, const T* convBias, const float* ssmState, const float* dtBias, const float* A,
                 const float* D, const DecodeDims& d) {
  if (d.B > 65535 || d.H > 65535) throw Error("SsmDecodeStep: more than 65535 batch rows or heads");
  const dim3 grid(static_cast<unsigned>((d.P + kRows - 1) / kRows), static_cast<unsigned>(d.H),
                  static_cast<unsigned>(d.B));
  const size_t shared = (2 * d.N + kRows) * sizeof(float);
  // 16-byte state loads: rows of N floats start 16-byte aligned when N % 4 == 0 (the buffers themselves are).
  const bool vec4 = d.N % 4 == 0 && reinterpret_cast<uintptr_t>(ssmState) % 16 == 0 &&
                    reinterpret_cast<uintptr_t>(nextState) % 16 == 0;
  if (vec4)
    ssmDecodeStepKernel<T, Y, true><<<grid, kThreads, shared, ctx.stream>>>(
        y, nextConv, nextState, zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D, d);
  else
    ssmDecodeStepKernel<T, Y, false><<<grid, kThreads, shared, ctx.stream>>>(
        y, nextConv, nextState, zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D, d);
}

}  // namespace

void launchSsmDecodeStep(Ctx& ctx, int dtype, void* y, void* nextConv, float* nextState, const void* zxbcdt,
                         const void* convState, const void* convWeight, const void* convBias, const float* ssmState,
                         const float* dtBias, const float* A, const float* D, const SsmDecodeArgs& a) {
  if (a.B == 0 || a.H == 0 || a.P == 0) return;
  const int64_t dSsm = a.H * a.P, convDim = dSsm + 2 * a.G * a.N;
  const DecodeDims d{a.B, a.H, a.P, a.G, a.N, a.K, dSsm, convDim, dSsm + convDim + a.H,
                     a.convSilu, a.gate, a.dtMin, a.dtMax};
  FH_DISPATCH_FLOAT(dtype, "SsmDecodeStep", {
    const T* in = static_cast<const T*>(zxbcdt);
    const T* cs = static_cast<const T*>(convState);
    const T* cw = static_cast<const T*>(convWeight);
    const T* cb = static_cast<const T*>(convBias);
    T* nc = static_cast<T*>(nextConv);
    if (a.gate)
      launchTyped<T, T>(ctx, static_cast<T*>(y), nc, nextState, in, cs, cw, cb, ssmState, dtBias, A, D, d);
    else
      launchTyped<T, float>(ctx, static_cast<float*>(y), nc, nextState, in, cs, cw, cb, ssmState, dtBias, A, D, d);
  });
  checkLaunch("SsmDecodeStep");
}

}  // namespace fh
