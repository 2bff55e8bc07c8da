/*
 * ssm_decode_step.cu — SsmDecodeStep: one Mamba2 decode step after in_proj in one launch (a decode step is
 * launch-bound: this replaces three slices, dt's Add and Softplus, the conv update, the SSM step and the gate).
 *
 * Grid (P tiles, H, B), kThreads threads: a block owns kRows rows p of one head h of one batch row b (16, or 64 when
 * the grid would be many waves — a batch of 32 rows: fewer blocks recompute the group's B/C conv, and each block
 * keeps 32 KB of state in flight).
 *   0. the block's kRows × N state rows start on their way into shared memory (cp.async: no registers hold them),
 *      and dt's inputs load — a step is a chain of memory round trips at these sizes, so every load that does not
 *      depend on another is issued first, and the state, read last, arrives while the conv runs;
 *   1. the conv update of the channels it reads — its rows' x channels and its group's N B and N C channels (the
 *      B/C conv is recomputed by each block of the group: 2N dot products of K, cheaper than another launch) —
 *      rounded to the activations' dtype (the contract's one stored intermediate) into shared memory. For Falcon-H1's
 *      widths (K ≤ 4) every load of a thread's channels is issued before any is used. Each block writes the next
 *      conv state of its own x channels (read and written by one thread: safe in place too). The B/C channels' next
 *      windows: out of place, the group's first head's first tile writes them (a new buffer: no block reads what
 *      another writes); in place (SsmDecodeStepInPlace), every block of the group reads the old windows, so each
 *      takes a ticket once it has, and the last one writes them at the end (step 4) and zeroes the ticket;
 *   2. dt = clamp(softplus(dtRaw + dtBias[h])), decay = exp(dt·A[h]), all f32;
 *   3. one warp per row p, lanes over n (four consecutive n per lane, 16-byte accesses, when N % 4 == 0):
 *      s' = decay·s + dt·x_p·B_n, y_p = Σ_n s'·C_n + D·x_p, then y_p·silu(z_p) in f32, stored once.
 */
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "common.cuh"
#include "packed_words.cuh"
#include "pdl_launch.cuh"
#include "ssm_decode_step.cuh"

namespace fh {
namespace {

constexpr int kThreads = 128;
template <typename S>
struct TypeTag {
  using type = S;
};
constexpr int kWarps = kThreads / 32;
/** Rows (p) per block: four per warp, so a 0.5B head (P = 64) spreads over four blocks at batch 1 ... */
constexpr int kRowsSmall = 16;
/** ... and a whole head per block where 16-row blocks would make more than kManyBlocksPerSm per SM. */
constexpr int kRowsLarge = 64;
constexpr int kManyBlocksPerSm = 8;
/** The fast conv form: conv widths up to kMaxK (Falcon-H1's is 4), up to kConvRounds channels per thread. */
constexpr int kMaxK = 4;
constexpr int kConvRounds = 4;

struct DecodeDims {
  int64_t B, H, P, G, N, K, dSsm, convDim;
  int64_t rowStride, offset;  // zxbcdt's row length and the step's first column in it
  int64_t yStride;            // y's row length (dSsm, or wider: ParallelMixersDecodeStep's [y | o] row)
  bool convSilu, gate;
  float dtMin, dtMax;
  bool early;    // PDL: the state rows are copied before the wait (the predecessor does not write the state)
  bool inPlace;  // nextConv == convState, nextState == ssmState (SsmDecodeStepInPlace)
  // PDL: the conv windows, weights and bias and dt's bias, A and D load before the wait (the predecessor writes none
  // of them; it writes zxbcdt, the token's inputs, read after the wait).
  bool earlyParameters;
};

/**
 * Programmatic Dependent Launch's wait (pdl_launch.cuh) with the step's two groups of reads that may precede it: the
 * state rows (d.early) and the conv and dt parameters (d.earlyParameters), each before the wait where the previous
 * kernel does not write it, else after.
 */
template <typename CopyState, typename LoadParameters>
__device__ __forceinline__ void waitAfterEarlyReads(const DecodeDims& d, CopyState&& copyState,
                                                    LoadParameters&& loadParameters) {
  if (d.early) copyState();
  if (d.earlyParameters) loadParameters();
  pdl::waitForPredecessor();
  pdl::allowDependents();
  if (!d.early) copyState();
  if (!d.earlyParameters) loadParameters();
}

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

/** A 16-byte global → shared copy that completes asynchronously (cp.async, sm_80+): no register holds it. */
__device__ __forceinline__ void copyAsync16(void* dst, const uint4* src) {
  const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(to), "l"(src) : "memory");
}
__device__ __forceinline__ void waitAsyncCopies() { asm volatile("cp.async.wait_all;" ::: "memory"); }

/**
 * The conv channels of one thread in the fast form (kFastConv: K ≤ kMaxK, at most kConvRounds channels per thread):
 * every load of every channel issued before any is used, so the conv costs one memory round trip, not one per
 * channel (GPUs issue in order: a load → use → load loop waits once per iteration).
 */
template <typename T>
struct ConvChannelLoads {
  T window[kMaxK - 1];  // the state's last K − 1 inputs (window[k] = s[k + 1])
  T weight[kMaxK - 1];  // their weights
  T weightLast;         // the weight of this token's input (a register index must be known at compile time)
  float bias;
  T xin;  // this token's input to the channel
};

/**
 * A conv channel's K = 4 values (its state window, or its weights) as ONE 8-byte (16-bit T) or 16-byte (f32) access:
 * a warp's 32 channels are then one contiguous, fully used run of sectors instead of four strided 2-byte loads each.
 * Rows of K = 4 values start at multiples of 4·sizeof(T) bytes (the buffers are 256-byte aligned).
 */
template <typename T>
using Window4 = std::conditional_t<sizeof(T) == 2, uint2, uint4>;
template <typename T>
__device__ __forceinline__ void loadWindow4(T (&out)[4], const T* p) {
  const Window4<T> w = *reinterpret_cast<const Window4<T>*>(p);
  const T* v = reinterpret_cast<const T*>(&w);
#pragma unroll
  for (int k = 0; k < 4; ++k) out[k] = v[k];
}
template <typename T>
__device__ __forceinline__ void storeWindow4(T* p, T a, T b, T c, T e) {
  Window4<T> w;
  T* v = reinterpret_cast<T*>(&w);
  v[0] = a;
  v[1] = b;
  v[2] = c;
  v[3] = e;
  *reinterpret_cast<Window4<T>*>(p) = w;
}

/** A channel's window, weights and bias: what the step reads that the in-projection before it does not write. */
template <typename T>
__device__ __forceinline__ void loadConvParameters(ConvChannelLoads<T>& c, const T* convState, const T* convWeight,
                                                   const T* convBias, int64_t b, int64_t ch, const DecodeDims& d) {
  const T* s = convState + (b * d.convDim + ch) * d.K;
  if (d.K == kMaxK) {  // Falcon-H1's conv width: the window and the weights as one access each
    T window[4], weight[4];
    loadWindow4(window, s);
    loadWindow4(weight, convWeight + ch * kMaxK);
#pragma unroll
    for (int k = 0; k + 1 < kMaxK; ++k) {
      c.window[k] = window[k + 1];
      c.weight[k] = weight[k];
    }
    c.weightLast = weight[kMaxK - 1];
  } else {
#pragma unroll
    for (int k = 0; k + 1 < kMaxK; ++k) {
      if (k + 1 < d.K) {
        c.window[k] = s[k + 1];
        c.weight[k] = convWeight[ch * d.K + k];
      }
    }
    c.weightLast = convWeight[ch * d.K + d.K - 1];
  }
  c.bias = convBias ? toF<T>(convBias[ch]) : 0.f;
}

/** convChannel's result (same order of operations) from the loaded values; writes the next state where `write`. */
template <typename T>
__device__ __forceinline__ float finishConvChannel(const ConvChannelLoads<T>& c, T* nextConv, int64_t b, int64_t ch,
                                                   bool write, const DecodeDims& d) {
  T* next = nextConv + (b * d.convDim + ch) * d.K;
  float u = c.bias;
  const bool vector = d.K == kMaxK;  // the next window as one store (loadWindow4's access)
#pragma unroll
  for (int k = 0; k + 1 < kMaxK; ++k) {
    if (k + 1 < d.K) {
      u += toF<T>(c.weight[k]) * toF<T>(c.window[k]);
      if (write && !vector) next[k] = c.window[k];
    }
  }
  u += toF<T>(c.weightLast) * toF<T>(c.xin);
  if (write && vector) storeWindow4(next, c.window[0], c.window[1], c.window[2], c.xin);
  if (write && !vector) next[d.K - 1] = c.xin;
  return roundTo<T>(d.convSilu ? siluF(u) : u);
}

/**
 * In place, the step's shift of one B/C conv channel's window (s[k] = s[k + 1], then this token's input last), by
 * the last block of the group to finish reading the old windows (one thread per channel: each read precedes the
 * write over it).
 */
template <typename T>
__device__ __forceinline__ void shiftConvWindow(T* conv, const T* in, int64_t b, int64_t ch, const DecodeDims& d) {
  T* s = conv + (b * d.convDim + ch) * d.K;
  if (d.K == kMaxK) {
    T window[4];
    loadWindow4(window, s);
    storeWindow4(s, window[1], window[2], window[3], in[d.dSsm + ch]);
    return;
  }
  for (int64_t k = 0; k + 1 < d.K; ++k) s[k] = s[k + 1];
  s[d.K - 1] = in[d.dSsm + ch];
}

/** Four consecutive state values (f32, or a 16-bit state widened), 16 or 8 bytes read at once. */
template <typename S>
__device__ __forceinline__ float4 loadState4(const S* p) {
  if constexpr (std::is_same_v<S, float>) {
    return *reinterpret_cast<const float4*>(p);
  } else {
    const uint2 w = *reinterpret_cast<const uint2*>(p);
    const S* v = reinterpret_cast<const S*>(&w);
    return make_float4(toF<S>(v[0]), toF<S>(v[1]), toF<S>(v[2]), toF<S>(v[3]));
  }
}
/** Stores four state values, each rounded once to the state dtype. */
template <typename S>
__device__ __forceinline__ void storeState4(S* p, float4 o) {
  if constexpr (std::is_same_v<S, float>) {
    *reinterpret_cast<float4*>(p) = o;
  } else {
    uint2 w;
    S* v = reinterpret_cast<S*>(&w);
    v[0] = fromF<S>(o.x);
    v[1] = fromF<S>(o.y);
    v[2] = fromF<S>(o.z);
    v[3] = fromF<S>(o.w);
    *reinterpret_cast<uint2*>(p) = w;
  }
}

/** Quads (4 state values) per lane that updateRowsFour keeps B and C of in registers: N ≤ 256. */
constexpr int kQuadsPerLane = 2;

/**
 * Step 3 of the kernel for N ≤ 256 with the vectorised state rows (the warp-per-row loop below computes the same
 * bits for any N): each warp takes four of its rows at a time. B and C are the same for every row of the block, so
 * each lane loads its quads of them from shared memory once; the four rows' y sums are reduced together — the
 * xor-16 and xor-8 steps exchange half of them, the xor-4, 2, 1 steps finish one row per group of eight lanes —
 * with the same pairs added in the same order as warpSum's butterfly (hence the same bits), 6 shuffles instead of
 * 20; and the four rows' outputs are gated and stored by four lanes at once.
 */
template <typename S, typename Y>
__device__ __forceinline__ void updateRowsFour(Y* __restrict__ y, S* nextState, const S* sState, const float* sB,
                                               const float* sC, const float* sx, const float* sz, int rows,
                                               int64_t firstRow, int64_t firstY, float dt, float decay, float skip,
                                               const DecodeDims& d) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int quads = static_cast<int>(d.N / 4);
  const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
  const float4* b4 = reinterpret_cast<const float4*>(sB);
  const float4* c4 = reinterpret_cast<const float4*>(sC);
  float4 bq[kQuadsPerLane], cq[kQuadsPerLane];
#pragma unroll
  for (int j = 0; j < kQuadsPerLane; ++j) {
    const int q = lane + 32 * j;
    bq[j] = q < quads ? b4[q] : zero;
    cq[j] = q < quads ? c4[q] : zero;
  }
  for (int r0 = warp; r0 < rows; r0 += 4 * kWarps) {
    float acc[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int r = r0 + k * kWarps;
      acc[k] = 0.f;
      if (r >= rows) continue;
      const float dx = dt * sx[r];
      const S* sRow = sState + int64_t(r) * d.N;
      S* nRow = nextState + (firstRow + r) * d.N;
#pragma unroll
      for (int j = 0; j < kQuadsPerLane; ++j) {
        const int q = lane + 32 * j;
        if (q >= quads) continue;
        const float4 s = loadState4<S>(sRow + 4 * q);
        float4 o;
        o.x = decay * s.x + dx * bq[j].x;
        o.y = decay * s.y + dx * bq[j].y;
        o.z = decay * s.z + dx * bq[j].z;
        o.w = decay * s.w + dx * bq[j].w;
        storeState4<S>(nRow + 4 * q, o);
        acc[k] += o.x * cq[j].x + o.y * cq[j].y + o.z * cq[j].z + o.w * cq[j].w;
      }
    }
    const bool hi16 = (lane & 16) != 0, hi8 = (lane & 8) != 0;
    float v0 = hi16 ? acc[2] : acc[0], v1 = hi16 ? acc[3] : acc[1];
    const float w0 = hi16 ? acc[0] : acc[2], w1 = hi16 ? acc[1] : acc[3];
    v0 += __shfl_xor_sync(0xffffffffu, w0, 16);
    v1 += __shfl_xor_sync(0xffffffffu, w1, 16);
    float u = hi8 ? v1 : v0;
    const float t = hi8 ? v0 : v1;
    u += __shfl_xor_sync(0xffffffffu, t, 8);
#pragma unroll
    for (int o = 4; o > 0; o >>= 1) u += __shfl_xor_sync(0xffffffffu, u, o);
    // Lane 8k holds row r0 + k·kWarps's sum (k = 2·hi16 + hi8).
    const int r = r0 + (lane >> 3) * kWarps;
    if ((lane & 7) == 0 && r < rows) {
      float out = u + skip * sx[r];
      if (d.gate) out *= siluF(sz[r]);
      y[firstY + r] = fromF<Y>(out);
    }
  }
}

// The states are not __restrict__: in place, nextConv aliases convState and nextState aliases ssmState. S is the
// SSM state's dtype: f32, or the activations' 16-bit dtype (widened on load, the new state rounded once on store,
// y from the unrounded value).
template <typename T, typename Y, typename S, bool kVec4, bool kFastConv, int kRows>
__global__ void __launch_bounds__(kThreads)
    ssmDecodeStepKernel(Y* __restrict__ y, T* nextConv, S* nextState, const T* __restrict__ zxbcdt,
                        const T* convState, const T* __restrict__ convWeight, const T* __restrict__ convBias,
                        const S* ssmState, const float* __restrict__ dtBias, const float* __restrict__ A,
                        const float* __restrict__ D, unsigned* __restrict__ tickets, DecodeDims d) {
  // 16-byte aligned: the cp.async copies into sState and the float4 reads of sB and sC (kRows·N·sizeof(S) is a
  // multiple of 16 where kVec4: N % 4 == 0 for f32, N % 8 == 0 for a 16-bit state).
  extern __shared__ __align__(16) float shared[];
  S* sState = reinterpret_cast<S*>(shared);  // [kRows][N] this block's state rows (kVec4 only)
  float* sB = shared + (kVec4 ? kRows * d.N * sizeof(S) / sizeof(float) : 0);  // [N]
  float* sC = sB + d.N;                               // [N]
  float* sx = sC + d.N;                               // [kRows]
  float* sz = sx + kRows;                             // [kRows] the gate's z
  const int64_t b = blockIdx.z, h = blockIdx.y, p0 = int64_t(blockIdx.x) * kRows;
  const int rows = static_cast<int>(d.P - p0 < kRows ? d.P - p0 : kRows);
  const int64_t headsPerGroup = d.H / d.G, g = h / headsPerGroup;
  const int64_t gn = d.G * d.N;
  const T* in = zxbcdt + b * d.rowStride + d.offset;
  // Out of place, the group's first head's first tile writes the next B/C conv windows (no block reads the new
  // buffer). In place, every block of the group must have read the old windows first: the last to finish does it.
  const bool writesBC = h % headsPerGroup == 0 && blockIdx.x == 0 && !d.inPlace;
  __shared__ bool lastOfGroup;

  // 0. This block's state rows start on their way into shared memory (they are read last) — under Programmatic
  //    Dependent Launch (pdl_launch.cuh) before the wait for the previous kernel (in_proj's projection) where that
  //    kernel does not write the state — and so do the conv windows, weights and bias and dt's bias, A and D
  //    (loadParameters, d.earlyParameters); the token's inputs (zxbcdt) are read after the wait.
  auto copyState = [&] {
    if constexpr (kVec4) {
      const uint4* src = reinterpret_cast<const uint4*>(ssmState + ((b * d.H + h) * d.P + p0) * d.N);
      constexpr int kPerCopy = 16 / sizeof(S);  // state values per 16-byte copy
      const int copies = static_cast<int>(rows * d.N / kPerCopy);
      for (int q = threadIdx.x; q < copies; q += kThreads) copyAsync16(sState + kPerCopy * q, src + q);
      asm volatile("cp.async.commit_group;" ::: "memory");
    }
  };
  // The conv update's channels (step 1): this block's rows' x channels, then its group's N B and N C channels
  // (channel i of the block: its conv channel and its shared-memory value, sx, sB and sC being contiguous).
  const int64_t channels = rows + 2 * d.N;
  auto channelOf = [&](int64_t i) -> int64_t {
    if (i < rows) return h * d.P + p0 + i;
    if (i < rows + d.N) return d.dSsm + g * d.N + (i - rows);
    return d.dSsm + gn + g * d.N + (i - rows - d.N);
  };
  auto valueOf = [&](int64_t i) -> float* {
    return i < rows ? sx + i : i < rows + d.N ? sB + (i - rows) : sC + (i - rows - d.N);
  };
  ConvChannelLoads<T> loads[kFastConv ? kConvRounds : 1];
  float dtBiasH, Ah, skip;
  auto loadParameters = [&] {
    if constexpr (kFastConv) {
#pragma unroll
      for (int u = 0; u < kConvRounds; ++u) {
        const int64_t i = threadIdx.x + u * kThreads;
        loadConvParameters<T>(loads[u], convState, convWeight, convBias, b, channelOf(i < channels ? i : 0), d);
      }
    }
    dtBiasH = dtBias[h];
    Ah = A[h];
    skip = D ? D[h] : 0.f;
  };
  waitAfterEarlyReads(d, copyState, loadParameters);
  const float raw = toF<T>(in[d.dSsm + d.convDim + h]) + dtBiasH;

  // 1. The conv update of this block's channels.
  if constexpr (kFastConv) {
#pragma unroll
    for (int u = 0; u < kConvRounds; ++u) {
      const int64_t i = threadIdx.x + u * kThreads;
      loads[u].xin = in[d.dSsm + channelOf(i < channels ? i : 0)];
    }
    if (d.gate && static_cast<int>(threadIdx.x) < rows) sz[threadIdx.x] = toF<T>(in[h * d.P + p0 + threadIdx.x]);
#pragma unroll
    for (int u = 0; u < kConvRounds; ++u) {
      const int64_t i = threadIdx.x + u * kThreads;
      if (i < channels)
        *valueOf(i) = finishConvChannel<T>(loads[u], nextConv, b, channelOf(i), i < rows || writesBC, d);
    }
  } else {
    if (d.gate && static_cast<int>(threadIdx.x) < rows) sz[threadIdx.x] = toF<T>(in[h * d.P + p0 + threadIdx.x]);
    for (int64_t i = threadIdx.x; i < channels; i += blockDim.x) {
      const int64_t c = channelOf(i);
      const bool write = i < rows || writesBC;
      *valueOf(i) = convChannel<T>(nextConv, convState, convWeight, convBias, in[d.dSsm + c], b, c, write, d);
    }
  }
  if constexpr (kVec4) waitAsyncCopies();
  __syncthreads();
  unsigned* ticket = tickets + b * d.G + g;
  if (d.inPlace && threadIdx.x == 0) {
    __threadfence();  // this block's reads of the B/C windows are done (their values were used above)
    const unsigned blocks = static_cast<unsigned>(headsPerGroup) * gridDim.x;
    lastOfGroup = atomicAdd(ticket, 1u) == blocks - 1;
  }

  // 2. dt and the decay, in f32.
  float dt = fmaxf(raw, 0.f) + log1pf(expf(-fabsf(raw)));  // softplus, as the Softplus kernel computes it
  // softplus is positive: the default limit (0, ∞) changes nothing, and is skipped (as the composition's Clamp is).
  if (d.dtMin > 0.f || d.dtMax < INFINITY) dt = fminf(fmaxf(dt, d.dtMin), d.dtMax);
  const float decay = expf(dt * Ah);

  // 3. The state update and y, one warp per row.
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  bool rowsDone = false;
  if constexpr (kVec4) {
    if (d.N <= 4 * 32 * kQuadsPerLane) {
      updateRowsFour<S, Y>(y, nextState, sState, sB, sC, sx, sz, rows, (b * d.H + h) * d.P + p0,
                           b * d.yStride + h * d.P + p0, dt, decay, skip, d);
      rowsDone = true;
    }
  }
  // Unrolled: the rows' loads, products and warp sums are independent, so several rows' latencies overlap.
#pragma unroll 4
  for (int r = warp; r < rows && !rowsDone; r += kWarps) {
    const int64_t p = p0 + r;
    const int64_t row = (b * d.H + h) * d.P + p;
    const float xv = sx[r];
    const float dx = dt * xv;
    float acc = 0.f;
    if constexpr (kVec4) {
      const S* sRow = sState + r * d.N;
      S* nRow = nextState + row * d.N;
      // sState, sB and sC start 16-byte aligned: 128-bit (64-bit for a 16-bit state) shared loads, no bank conflicts.
      const float4* b4 = reinterpret_cast<const float4*>(sB);
      const float4* c4 = reinterpret_cast<const float4*>(sC);
      for (int64_t q = lane; q < d.N / 4; q += 32) {
        const float4 s = loadState4<S>(sRow + 4 * q), bq = b4[q], cq = c4[q];
        float4 o;
        o.x = decay * s.x + dx * bq.x;
        o.y = decay * s.y + dx * bq.y;
        o.z = decay * s.z + dx * bq.z;
        o.w = decay * s.w + dx * bq.w;
        storeState4<S>(nRow + 4 * q, o);
        acc += o.x * cq.x + o.y * cq.y + o.z * cq.z + o.w * cq.w;
      }
    } else {
      for (int64_t n = lane; n < d.N; n += 32) {
        const float s = decay * toF<S>(ssmState[row * d.N + n]) + dx * sB[n];
        nextState[row * d.N + n] = fromF<S>(s);
        acc += s * sC[n];
      }
    }
    acc = warpSum(acc);
    if (lane == 0) {
      float out = acc + skip * xv;
      if (d.gate) out *= siluF(sz[r]);
      y[b * d.yStride + h * d.P + p] = fromF<Y>(out);
    }
  }

  // 4. In place: the last block of (b, g) to take its ticket shifts the group's B/C conv windows, and zeroes the
  //    ticket for the next launch (a graph replay too: the tickets start zeroed and every launch leaves them so).
  if (d.inPlace) {
    __syncthreads();
    if (!lastOfGroup) return;
    __threadfence();
    for (int64_t i = threadIdx.x; i < 2 * d.N; i += kThreads) {
      const int64_t ch = d.dSsm + (i < d.N ? g * d.N + i : gn + g * d.N + (i - d.N));
      shiftConvWindow<T>(nextConv, in, b, ch, d);
    }
    if (threadIdx.x == 0) *ticket = 0u;
  }
}

// ------------------------------------------------------------------------------------------- the wide form
/*
 * At large batch (more than kManyBlocksPerSm blocks of 16 rows per SM) with Falcon-H1's conv width (K = 4) and a
 * state size of 64, 128 or 256, the step runs this kernel instead: the same grid of whole-head blocks (64 rows) and
 * the same four steps, arranged for the instruction count — Nsight Compute showed the general kernel issue-bound
 * there (1,870 instructions per warp at the 0.5B's batch 32, 57 % of them the state rows' 64-bit indexing and
 * 4-value accesses, 25 % the conv, whose bias widening waited on each round's loads in turn):
 *   - each lane updates EIGHT consecutive state values of a row per step (one 16-byte shared load and one 16-byte
 *     store of a 16-bit state, two of f32), N/8 lanes per row, so a warp updates 256/N rows at once and reduces
 *     each row's y over its N/8 lanes;
 *   - indices in 32 bits from per-block base pointers;
 *   - the conv channels in the order B, C, x (warp-uniform branches for N a multiple of 32), every load of every
 *     round issued before any value is widened.
 * The conv's arithmetic is finishConvChannel's (same order of operations), the state update's per element the
 * general kernel's; y's sum over n is taken in another order (eight products per lane, then the lanes' butterfly),
 * so its bits may differ from the general kernel's in the last place — one kernel serves a launch whatever its
 * form (in place or not, ParallelMixersDecodeStep or alone), so a decode chain is consistent with itself.
 */
#ifdef FH_SSM_WIDE_ROWS  // (an experiment's override)
constexpr int kWideRows = FH_SSM_WIDE_ROWS;
#else
constexpr int kWideRows = kRowsLarge;
#endif
/** State values per lane per row step: 16 bytes of a 16-bit state. */
constexpr int kWideValues = 8;

/**
 * A lane's eight state values of a row: two quads, at n = qA and qA + 4 for a 16-bit state (ONE 16-byte access), at
 * n = qA and qA + N/2 for f32 (two 16-byte accesses, each contiguous over the row's lanes: no sector or bank is
 * touched twice by one instruction). `at` is the row's start.
 */
template <typename S, int N>
struct LaneQuads {
  static constexpr int kSecond = sizeof(S) == 2 ? 4 : N / 2;  // the second quad's offset from the first
  static __device__ __forceinline__ int first(int laneInRow) { return laneInRow * (sizeof(S) == 2 ? 8 : 4); }
};

/** Two f32 values rounded to a 16-bit S, packed as one word (the lower n first). */
template <typename S>
__device__ __forceinline__ uint32_t packPair(float lo, float hi) {
  const S a = fromF<S>(lo), b = fromF<S>(hi);
  return uint32_t(*reinterpret_cast<const uint16_t*>(&a)) | (uint32_t(*reinterpret_cast<const uint16_t*>(&b)) << 16);
}

/** A lane's eight state values (LaneQuads) widened to f32. */
template <typename S, int N>
__device__ __forceinline__ void loadState8(float (&v)[kWideValues], const S* at) {
  if constexpr (std::is_same_v<S, float>) {
    const float4 lo = *reinterpret_cast<const float4*>(at), hi = *reinterpret_cast<const float4*>(at + LaneQuads<S, N>::kSecond);
    v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w, v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
  } else {
    const uint4 w = *reinterpret_cast<const uint4*>(at);
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const uint16_t lo = static_cast<uint16_t>(words[k] & 0xffffu), hi = static_cast<uint16_t>(words[k] >> 16);
      v[2 * k] = toF<S>(*reinterpret_cast<const S*>(&lo));
      v[2 * k + 1] = toF<S>(*reinterpret_cast<const S*>(&hi));
    }
  }
}
/** Stores a lane's eight state values (LaneQuads), each rounded once to the state dtype. */
template <typename S, int N>
__device__ __forceinline__ void storeState8(S* at, const float (&v)[kWideValues]) {
  if constexpr (std::is_same_v<S, float>) {
    *reinterpret_cast<float4*>(at) = make_float4(v[0], v[1], v[2], v[3]);
    *reinterpret_cast<float4*>(at + LaneQuads<S, N>::kSecond) = make_float4(v[4], v[5], v[6], v[7]);
  } else {
    *reinterpret_cast<uint4*>(at) = make_uint4(packPair<S>(v[0], v[1]), packPair<S>(v[2], v[3]),
                                               packPair<S>(v[4], v[5]), packPair<S>(v[6], v[7]));
  }
}

/** A Window4 access's four values, unpacked by shifts (packed_words.cuh: the registers stay registers). */
template <typename T>
__device__ __forceinline__ void unpackWindow4(T (&out)[4], const Window4<T>& w) {
  if constexpr (sizeof(T) == 4) {
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) out[k] = valueOfWord<T>(words[k], 0);
  } else {
    const uint32_t words[2] = {w.x, w.y};
#pragma unroll
    for (int k = 0; k < 4; ++k) out[k] = valueOfWord<T>(words[k / 2], k % 2);
  }
}

/** Shared memory of the wide kernel: the block's state rows, then sB [N], sC [N], sx and sz [kWideRows] in f32. */
template <typename S>
constexpr size_t wideSharedBytes(int64_t N) {
  return size_t(kWideRows) * N * sizeof(S) + (2 * N + 2 * kWideRows) * sizeof(float);
}

template <typename T, typename Y, typename S, int N>
__global__ void __launch_bounds__(kThreads)
    ssmDecodeStepWideKernel(Y* __restrict__ y, T* nextConv, S* nextState, const T* __restrict__ zxbcdt,
                            const T* convState, const T* __restrict__ convWeight, const T* __restrict__ convBias,
                            const S* ssmState, const float* __restrict__ dtBias, const float* __restrict__ A,
                            const float* __restrict__ D, unsigned* __restrict__ tickets, DecodeDims d) {
  constexpr int kLanesPerRow = N / kWideValues;
  constexpr int kRowsPerStep = 32 / kLanesPerRow;  // rows a warp updates at once
  constexpr int kRowsPerWarp = kWideRows / kWarps;
  constexpr int kSteps = kRowsPerWarp / kRowsPerStep;
  constexpr int kRounds = (2 * N + kWideRows + kThreads - 1) / kThreads;  // conv channels per thread, at most
  constexpr int kPerCopy = 16 / sizeof(S);                                // state values per 16-byte copy
  constexpr int kCopyRounds = (kWideRows * N / kPerCopy + kThreads - 1) / kThreads;
  static_assert(kLanesPerRow >= 1 && kLanesPerRow <= 32 && 32 % kLanesPerRow == 0 && kRowsPerWarp % kRowsPerStep == 0);
  extern __shared__ __align__(16) float shared[];
  S* sState = reinterpret_cast<S*>(shared);  // [kWideRows][N]
  float* sB = shared + kWideRows * N * sizeof(S) / sizeof(float);
  float* sC = sB + N;
  float* sx = sC + N;
  float* sz = sx + kWideRows;
  const int tid = static_cast<int>(threadIdx.x);
  const int b = static_cast<int>(blockIdx.z), h = static_cast<int>(blockIdx.y);
  const int p0 = static_cast<int>(blockIdx.x) * kWideRows, P = static_cast<int>(d.P);
  const int rows = P - p0 < kWideRows ? P - p0 : kWideRows;
  const int headsPerGroup = static_cast<int>(d.H / d.G), g = h / headsPerGroup;
  const int dSsm = static_cast<int>(d.dSsm), gn = static_cast<int>(d.G) * N;
  const int channels = 2 * N + rows;
  const T* in = zxbcdt + int64_t(b) * d.rowStride + d.offset;
  const T* convRow = convState + int64_t(b) * d.convDim * kMaxK;  // this batch row's windows
  T* nextConvRow = nextConv + int64_t(b) * d.convDim * kMaxK;
  const int64_t stateRow0 = (int64_t(b) * d.H + h) * d.P + p0;  // the block's first state row
  const bool writesBC = h % headsPerGroup == 0 && blockIdx.x == 0 && !d.inPlace;
  __shared__ bool lastOfGroup;
  __shared__ float sDt, sDecay;

  // 0. The state rows on their way into shared memory (before the PDL wait where the predecessor does not write
  //    the state), then dt's inputs.
  auto copyState = [&] {
    const uint4* src = reinterpret_cast<const uint4*>(ssmState + stateRow0 * N);
    const int copies = rows * N / kPerCopy;
#pragma unroll
    for (int u = 0; u < kCopyRounds; ++u) {
      const int q = tid + u * kThreads;
      if (q < copies) copyAsync16(sState + kPerCopy * q, src + q);
    }
    asm volatile("cp.async.commit_group;" ::: "memory");
  };
  // The conv channels (step 1): the group's N B channels, its N C channels, then the block's x channels. Their
  // windows, weights and biases, and dt's bias, A and D, load before the wait where the predecessor writes none of
  // them (d.earlyParameters); the token's inputs (zxbcdt, the predecessor's output) after it.
  auto channelOf = [&](int i) {
    return i < N ? dSsm + g * N + i : i < 2 * N ? dSsm + gn + g * N + (i - N) : h * P + p0 + (i - 2 * N);
  };
  Window4<T> window[kRounds], weight[kRounds];
  T convBiasRaw[kRounds], xin[kRounds];
  float bias = 0.f, Ah = 0.f, skip = 0.f;
  auto loadParameters = [&] {
#pragma unroll
    for (int u = 0; u < kRounds; ++u) {
      const int i = tid + u * kThreads;
      if (i < channels) {
        const int ch = channelOf(i);
        window[u] = *reinterpret_cast<const Window4<T>*>(convRow + ch * kMaxK);
        weight[u] = *reinterpret_cast<const Window4<T>*>(convWeight + ch * kMaxK);
        if (convBias) convBiasRaw[u] = convBias[ch];
      }
    }
    if (tid == 0) bias = dtBias[h], Ah = A[h];  // step 2's inputs (thread 0's)
    skip = D ? D[h] : 0.f;
  };
  waitAfterEarlyReads(d, copyState, loadParameters);
  T dtRaw{};
  if (tid == 0) dtRaw = in[dSsm + d.convDim + h];
  T zRaw{};
  if (d.gate && tid < rows) zRaw = in[h * P + p0 + tid];
#pragma unroll
  for (int u = 0; u < kRounds; ++u) {
    const int i = tid + u * kThreads;
    if (i < channels) xin[u] = in[dSsm + channelOf(i)];
  }
  if (d.gate && tid < rows) sz[tid] = siluF(toF<T>(zRaw));  // the gate factor, once per row
  // 2. dt and the decay in f32 (as the general kernel), by one thread: every thread reads them after the barrier.
  if (tid == 0) {
    const float raw = toF<T>(dtRaw) + bias;
    float dt = fmaxf(raw, 0.f) + log1pf(expf(-fabsf(raw)));
    if (d.dtMin > 0.f || d.dtMax < INFINITY) dt = fminf(fmaxf(dt, d.dtMin), d.dtMax);
    sDt = dt;
    sDecay = expf(dt * Ah);
  }
#pragma unroll
  for (int u = 0; u < kRounds; ++u) {
    const int i = tid + u * kThreads;
    if (i >= channels) continue;
    T s[4], w[4];
    unpackWindow4<T>(s, window[u]);
    unpackWindow4<T>(w, weight[u]);
    // finishConvChannel's order of operations: the bias, the window's K − 1 inputs, then this token's.
    float v = convBias ? toF<T>(convBiasRaw[u]) : 0.f;
#pragma unroll
    for (int k = 0; k + 1 < kMaxK; ++k) v += toF<T>(w[k]) * toF<T>(s[k + 1]);
    v += toF<T>(w[kMaxK - 1]) * toF<T>(xin[u]);
    v = roundTo<T>(d.convSilu ? siluF(v) : v);
    if (i < N) {
      sB[i] = v;
    } else if (i < 2 * N) {
      sC[i - N] = v;
    } else {
      sx[i - 2 * N] = v;
    }
    if (i >= 2 * N || writesBC) storeWindow4(nextConvRow + channelOf(i) * kMaxK, s[1], s[2], s[3], xin[u]);
  }
  waitAsyncCopies();
  __syncthreads();
  unsigned* ticket = tickets + int64_t(b) * d.G + g;
  if (d.inPlace && tid == 0) {
    __threadfence();  // this block's reads of the B/C windows are done (their values were used above)
    const unsigned blocks = static_cast<unsigned>(headsPerGroup) * gridDim.x;
    lastOfGroup = atomicAdd(ticket, 1u) == blocks - 1;
  }

  const float dt = sDt, decay = sDecay;

  // 3. The rows: lane `lane % kLanesPerRow` of a row's lanes holds its n in [8·that, 8·that + 8).
  const int lane = tid & 31, warp = tid >> 5;
  const int n0 = LaneQuads<S, N>::first(lane % kLanesPerRow), sub = lane / kLanesPerRow;
  float bq[kWideValues], cq[kWideValues];
#pragma unroll
  for (int k = 0; k < kWideValues; k += 4) {
    const int n = n0 + (k == 0 ? 0 : LaneQuads<S, N>::kSecond);
    const float4 bv = *reinterpret_cast<const float4*>(sB + n), cv = *reinterpret_cast<const float4*>(sC + n);
    bq[k] = bv.x, bq[k + 1] = bv.y, bq[k + 2] = bv.z, bq[k + 3] = bv.w;
    cq[k] = cv.x, cq[k + 1] = cv.y, cq[k + 2] = cv.z, cq[k + 3] = cv.w;
  }
  S* nextRows = nextState + stateRow0 * N + n0;
  Y* yRow = y + int64_t(b) * d.yStride + h * P + p0;
#pragma unroll 4
  for (int step = 0; step < kSteps; ++step) {
    const int r = warp * kRowsPerWarp + step * kRowsPerStep + sub;
    float acc = 0.f;
    if (r < rows) {
      const float dx = dt * sx[r];
      float s[kWideValues];
      loadState8<S, N>(s, sState + r * N + n0);
#pragma unroll
      for (int k = 0; k < kWideValues; ++k) s[k] = decay * s[k] + dx * bq[k];
      storeState8<S, N>(nextRows + r * N, s);
#pragma unroll
      for (int k = 0; k < kWideValues; ++k) acc += s[k] * cq[k];
    }
#pragma unroll
    for (int o = kLanesPerRow / 2; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane % kLanesPerRow == 0 && r < rows) {
      float out = acc + skip * sx[r];
      if (d.gate) out *= sz[r];
      yRow[r] = fromF<Y>(out);
    }
  }

  // 4. In place: the last block of (b, g) shifts the group's B/C conv windows and zeroes the ticket — its warp 0
  //    alone (every thread of the block read its windows before the barrier above, so no other warp waits here).
  if (d.inPlace && warp == 0) {
    if (!__shfl_sync(0xffffffffu, lane == 0 ? lastOfGroup : false, 0)) return;
    __threadfence();
    for (int i = lane; i < 2 * N; i += 32) {
      const int64_t ch = d.dSsm + (i < N ? g * N + i : gn + g * N + (i - N));
      shiftConvWindow<T>(nextConv, in, b, ch, d);
    }
    if (lane == 0) *ticket = 0u;
  }
}

template <typename T, typename Y, typename S>
void launchTyped(Ctx& ctx, Y* y, T* nextConv, S* nextState, const T* zxbcdt, const T* convState,
                 const T* convWeight, const T* convBias, const S* ssmState, const float* dtBias, const float* A,
                 const float* D, unsigned* tickets, const DecodeDims& d) {
  if (d.B > 65535 || d.H > 65535) throw Error("SsmDecodeStep: more than 65535 batch rows or heads");
  // 16-byte state copies: rows of N values start 16-byte aligned when N·sizeof(S) is a multiple of 16 (the buffers
  // themselves are).
  const bool vec4 = (d.N * int64_t(sizeof(S))) % 16 == 0 && reinterpret_cast<uintptr_t>(ssmState) % 16 == 0 &&
                    reinterpret_cast<uintptr_t>(nextState) % 16 == 0;
  // The fast conv form holds every channel of a thread in registers: rows + 2N channels over kConvRounds rounds.
  auto fastConvFor = [&](int rows) { return d.K <= kMaxK && rows + 2 * d.N <= int64_t(kThreads) * kConvRounds; };
  const bool fastConv = fastConvFor(kRowsSmall);
  const int64_t smallBlocks = (d.P + kRowsSmall - 1) / kRowsSmall * d.H * d.B;
  const bool many = smallBlocks > int64_t(kManyBlocksPerSm) * ctx.smCount;
  // FALCON_H1_CUDA_SSM_WIDE=off keeps the general kernel at large batch (A/B runs).
  static const bool wideAllowed = [] {
    const char* env = std::getenv("FALCON_H1_CUDA_SSM_WIDE");
    return env == nullptr || std::string(env) != "off";
  }();
  const bool wide = wideAllowed && many && vec4 && d.K == kMaxK && (d.N == 64 || d.N == 128 || d.N == 256) &&
                    d.dSsm + 2 * d.G * d.N < (int64_t(1) << 28) && d.P < (int64_t(1) << 24);
  if (d.earlyParameters) ctx.earlySsmParameters++;
  const int rowsPerBlock = wide ? kWideRows : vec4 && fastConvFor(kRowsLarge) && many ? kRowsLarge : kRowsSmall;
  const dim3 grid(static_cast<unsigned>((d.P + rowsPerBlock - 1) / rowsPerBlock), static_cast<unsigned>(d.H),
                  static_cast<unsigned>(d.B));
  const size_t shared = wide ? wideSharedBytes<S>(d.N)
                             : (vec4 ? rowsPerBlock * d.N * sizeof(S) : 0) + (2 * d.N + 2 * rowsPerBlock) * sizeof(float);
  if (shared > ctx.maxSharedPerBlockOptin)
    throw Error("SsmDecodeStep: state size N = " + std::to_string(d.N) +
                " needs more shared memory per block than the device allows");
  auto launch = [&](auto kernel) {
    if (shared > 48 * 1024)
      check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)),
            "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
    launchPdl(ctx, "SsmDecodeStep", kernel, grid, dim3(kThreads), shared, y, nextConv, nextState, zxbcdt, convState,
              convWeight, convBias, ssmState, dtBias, A, D, tickets, d);
  };
  if (wide && d.N == 64)
    launch(ssmDecodeStepWideKernel<T, Y, S, 64>);
  else if (wide && d.N == 128)
    launch(ssmDecodeStepWideKernel<T, Y, S, 128>);
  else if (wide)
    launch(ssmDecodeStepWideKernel<T, Y, S, 256>);
  else if (rowsPerBlock == kRowsLarge)
    launch(ssmDecodeStepKernel<T, Y, S, true, true, kRowsLarge>);
  else if (vec4 && fastConv)
    launch(ssmDecodeStepKernel<T, Y, S, true, true, kRowsSmall>);
  else if (vec4)
    launch(ssmDecodeStepKernel<T, Y, S, true, false, kRowsSmall>);
  else if (fastConv)
    launch(ssmDecodeStepKernel<T, Y, S, false, true, kRowsSmall>);
  else
    launch(ssmDecodeStepKernel<T, Y, S, false, false, kRowsSmall>);
}

}  // namespace

void launchSsmDecodeStep(Ctx& ctx, int dtype, void* y, void* nextConv, void* nextState, const void* zxbcdt,
                         const void* convState, const void* convWeight, const void* convBias, const void* ssmState,
                         const float* dtBias, const float* A, const float* D, unsigned* tickets,
                         const SsmDecodeArgs& a) {
  if (a.B == 0 || a.H == 0 || a.P == 0) return;
  const int64_t dSsm = a.H * a.P, convDim = dSsm + 2 * a.G * a.N;
  const bool inPlace = nextConv == convState && nextState == ssmState;
  if (!inPlace && (nextConv == convState || nextState == ssmState))
    throw Error("SsmDecodeStep: both states in place, or neither");
  if (inPlace && tickets == nullptr) throw Error("SsmDecodeStep: in place needs the group tickets");
  if (a.offset < 0 || a.rowStride < a.offset + dSsm + convDim + a.H)
    throw Error("SsmDecodeStep: the step's columns [offset, offset + " + std::to_string(dSsm + convDim + a.H) +
                ") do not fit rows of " + std::to_string(a.rowStride));
  if (a.state16 && dtype != F16 && dtype != BF16)
    throw Error("SsmDecodeStep: a 16-bit SSM state needs f16 or bf16 activations");
  const size_t stateBytes = static_cast<size_t>(a.B * a.H * a.P * a.N) * (a.state16 ? dtypeSize(dtype) : sizeof(float));
  const bool early = readableBeforeWait(ctx, ssmState, stateBytes);
  const size_t es = dtypeSize(dtype), heads = static_cast<size_t>(a.H) * sizeof(float);
  const bool earlyParameters =
      readableBeforeWait(ctx, convState, static_cast<size_t>(a.B * convDim * a.K) * es) &&
      readableBeforeWait(ctx, convWeight, static_cast<size_t>(convDim * a.K) * es) &&
      (convBias == nullptr || readableBeforeWait(ctx, convBias, static_cast<size_t>(convDim) * es)) &&
      readableBeforeWait(ctx, dtBias, heads) && readableBeforeWait(ctx, A, heads) &&
      (D == nullptr || readableBeforeWait(ctx, D, heads));
  const int64_t yStride = a.yStride == 0 ? dSsm : a.yStride;
  if (yStride < dSsm) throw Error("SsmDecodeStep: y's rows are narrower than H·P");
  const DecodeDims d{a.B,      a.H,     a.P,        a.G,    a.N,     a.K,     dSsm,  convDim, a.rowStride, a.offset,
                     yStride,  a.convSilu, a.gate, a.dtMin, a.dtMax, early, inPlace, earlyParameters};
  FH_DISPATCH_FLOAT(dtype, "SsmDecodeStep", {
    const T* in = static_cast<const T*>(zxbcdt);
    const T* cs = static_cast<const T*>(convState);
    const T* cw = static_cast<const T*>(convWeight);
    const T* cb = static_cast<const T*>(convBias);
    T* nc = static_cast<T*>(nextConv);
    // The state's dtype S: f32, or T itself for a 16-bit state (instantiated for the 16-bit T only).
    auto launchState = [&](auto tag) {
      using S = typename decltype(tag)::type;
      S* ns = static_cast<S*>(nextState);
      const S* ss = static_cast<const S*>(ssmState);
      if (a.gate)
        launchTyped<T, T, S>(ctx, static_cast<T*>(y), nc, ns, in, cs, cw, cb, ss, dtBias, A, D, tickets, d);
      else
        launchTyped<T, float, S>(ctx, static_cast<float*>(y), nc, ns, in, cs, cw, cb, ss, dtBias, A, D, tickets, d);
    };
    if constexpr (std::is_same_v<T, float>) {
      launchState(TypeTag<float>{});
    } else {
      if (a.state16)
        launchState(TypeTag<T>{});
      else
        launchState(TypeTag<float>{});
    }
  });
  // What the launch writes (the call's only stream work), for the next PDL kernel's early reads.
  ctx.lastWrites.begin();
  ctx.lastWrites.add(y, static_cast<size_t>(a.B * yStride) * (a.gate ? es : sizeof(float)));
  ctx.lastWrites.add(nextConv, static_cast<size_t>(a.B * convDim * a.K) * es);
  ctx.lastWrites.add(nextState, stateBytes);
  if (inPlace) ctx.lastWrites.add(tickets, static_cast<size_t>(a.B * a.G) * sizeof(unsigned));
}

}  // namespace fh
