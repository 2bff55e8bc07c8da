/*
 * attention_decode_step.cu — the fused decode step of attention over a static KV cache (contract entry
 * AttentionDecodeStep), ONE launch per layer and token instead of two RoPEs, two cache writes and the two launches
 * of the split-K decode attention (attention_decode.cu), whose approach it reuses:
 *
 *   grid (chunk c, KV head g, row b): each block takes one chunk of slots for the Hq/Hkv query heads of KV head g.
 *   1. Prologue (tiny, recomputed by every block): the group's queries roped from qkv exactly as rope.cu computes
 *      them (f32 angle from the Rope table, cos/sin rounded to f32, f64 products) and rounded to the dtype, as the
 *      composition stores them. The block whose chunk holds the step's slot (the OWNER: chunks partition the slots,
 *      so it alone reads that slot) also ropes the new key and takes the new value.
 *   2. Online softmax over the chunk's slots in tiles staged in shared memory (f32), slot j visible iff
 *      kSeq[b, j] = qSeq[b] (the query is the last position: causality hides nothing). The owner's tile takes the
 *      new key and value from shared memory instead of the cache, so no block reads what this launch writes.
 *   3. The owner stores the new key and value into the cache slot.
 *   4. One chunk: the block writes o / l. Several: each block writes its partials (m, l, o), takes a ticket for its
 *      (b, g); the last block to arrive merges the chunks in order —
 *        M = max_c m_c;  L = Σ_c l_c·e^{m_c−M};  out = Σ_c o_c·e^{m_c−M} / L      (zeros when no slot is visible)
 *      — and resets the ticket to 0 for the next launch (also a graph replay: the tickets live in a buffer that
 *      starts zeroed and is zeroed again by every launch).
 */
#include <cmath>

#include "attention_common.cuh"
#include "attention_decode_step.cuh"
#include "common.cuh"

namespace fh {

namespace {

constexpr int kWarps = 4;
constexpr int kTile = attn::kKeysPerTile;                                    // slots per shared-memory tile
/**
 * Query heads a warp carries (RPW, a template argument): the group's Hq/Hkv heads over kWarps warps. As small as
 * the group allows, so the accumulators m, l, o[RPW][MPL] stay in registers (a fixed 8 rows spilled them to local
 * memory for every group size, and each 8-row variant unrolled to ~30k PTX lines).
 */
constexpr int kMaxRowsPerWarp = static_cast<int>(kAttnDecodeStepMaxGroup) / kWarps;

struct StepArgs {
  int64_t B, L, Hq, Hkv, Dh;
  float scale;
  bool sharedSlot;
  int64_t keysPerChunk, nChunks;
};

/**
 * RoPE of the pair (x1, x2) at table frequency `invFreq`, as rope.cu computes it, each result rounded to T. Not
 * inlined: the f64 cos/sin it needs are large, and one copy per dtype serves every variant of the kernel (the
 * prologue calls it a few times per block; inlined, it made the addon ~10 MB larger).
 */
template <typename T>
__device__ __noinline__ void ropePair(T& y1, T& y2, float x1, float x2, int32_t pos, float invFreq) {
  const float angle = __fmul_rn(static_cast<float>(pos), invFreq);
  const double c = static_cast<double>(static_cast<float>(cos(static_cast<double>(angle))));
  const double s = static_cast<double>(static_cast<float>(sin(static_cast<double>(angle))));
  y1 = fromD<T>(static_cast<double>(x1) * c - static_cast<double>(x2) * s);
  y2 = fromD<T>(static_cast<double>(x2) * c + static_cast<double>(x1) * s);
}

/**
 * Slots [j0, j0 + kTile) of KV head g of a [B, L, Hkv, Dh] cache into shared rows of Dh + 1 floats (zeros past L);
 * the step's slot, where this block owns it, from `fresh` (the new key or value) instead of the cache. Loads are
 * issued attn::kLoadsInFlight at a time before any is used (see attn::loadRows: in-order issue would otherwise
 * serialise them).
 */
template <typename T>
__device__ __forceinline__ void loadTile(float* dst, const T* cache, const float* fresh, int64_t slot, int64_t b,
                                         int64_t j0, int64_t g, const StepArgs& a) {
  constexpr int U = attn::kLoadsInFlight;
  const int d = static_cast<int>(a.Dh), pitch = d + 1, n = kTile * d, stride = static_cast<int>(blockDim.x);
  for (int base = threadIdx.x; base < n; base += stride * U) {
    T held[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int idx = base + u * stride;
      const int rr = idx / d, dd = idx - rr * d;
      const int64_t j = j0 + rr;
      if (idx < n && j < a.L && j != slot) held[u] = cache[((b * a.L + j) * a.Hkv + g) * a.Dh + dd];
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int idx = base + u * stride;
      if (idx >= n) break;
      const int rr = idx / d, dd = idx - rr * d;
      const int64_t j = j0 + rr;
      dst[rr * pitch + dd] = j == slot ? fresh[dd] : j < a.L ? toF<T>(held[u]) : 0.f;
    }
  }
}

template <typename T, int MPL, int kRowsPerWarp>
__global__ void __launch_bounds__(kWarps * 32)
    attnDecodeStepKernel(T* __restrict__ out, T* __restrict__ keys, T* __restrict__ values, const T* __restrict__ qkv,
                         const int32_t* __restrict__ positions, const int32_t* __restrict__ slots,
                         const int32_t* __restrict__ qSeq, const int32_t* __restrict__ kSeq,
                         const float* __restrict__ invFreq, float* __restrict__ pm, float* __restrict__ pl,
                         float* __restrict__ po, unsigned* __restrict__ tickets, StepArgs a) {
  extern __shared__ float sm[];
  __shared__ bool lastBlock;
  const int64_t rep = a.Hq / a.Hkv, Dh = a.Dh, half = Dh / 2;
  float* qs = sm;                        // [rep][Dh] the group's roped queries
  float* ks = qs + rep * Dh;             // [kTile][Dh+1]
  float* vs = ks + kTile * (Dh + 1);     // [kTile][Dh+1]
  float* kNew = vs + kTile * (Dh + 1);   // [Dh] the new key, roped and rounded as the cache stores it
  float* vNew = kNew + Dh;               // [Dh] the new value
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t c = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const T* row = qkv + b * (a.Hq + 2 * a.Hkv) * Dh;
  const int32_t pos = positions[b];
  const int64_t jBegin = c * a.keysPerChunk;
  const int64_t jEnd = jBegin + a.keysPerChunk < a.L ? jBegin + a.keysPerChunk : a.L;
  const int64_t step = slots[a.sharedSlot ? 0 : b];
  const bool owner = step >= jBegin && step < jEnd;  // (never for a slot outside [0, L))
  const int64_t slot = owner ? step : -1;

  // 1. Prologue: the queries of the group, and (owner) the new key and value.
  for (int64_t idx = threadIdx.x; idx < rep * half; idx += blockDim.x) {
    const int64_t r = idx / half, i = idx - r * half;
    const T* x = row + (g * rep + r) * Dh;
    T y1, y2;
    ropePair<T>(y1, y2, toF<T>(x[i]), toF<T>(x[i + half]), pos, invFreq[i]);
    qs[r * Dh + i] = toF<T>(y1);
    qs[r * Dh + i + half] = toF<T>(y2);
  }
  const T* xk = row + (a.Hq + g) * Dh;
  const T* xv = row + (a.Hq + a.Hkv + g) * Dh;
  if (owner) {
    for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
      T y1, y2;
      ropePair<T>(y1, y2, toF<T>(xk[i]), toF<T>(xk[i + half]), pos, invFreq[i]);
      kNew[i] = toF<T>(y1);
      kNew[i + half] = toF<T>(y2);
    }
    for (int64_t i = threadIdx.x; i < Dh; i += blockDim.x) vNew[i] = toF<T>(xv[i]);
  }
  __syncthreads();

  // 2. Online softmax over the chunk.
  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][MPL];
  attn::startRows(m, l, o);
  const int32_t document = qSeq[b];
  for (int64_t j0 = jBegin; j0 < jEnd; j0 += kTile) {
    loadTile<T>(ks, keys, kNew, slot, b, j0, g, a);
    loadTile<T>(vs, values, vNew, slot, b, j0, g, a);
    __syncthreads();
    const int64_t j = j0 + lane;
    const bool visible = j < jEnd && kSeq[b * a.L + j] == document;  // once per tile, not once per query row
#pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int64_t r = warp + int64_t(rr) * kWarps;
      if (r < rep) {  // warp-uniform: the whole warp takes part in onlineTile's shuffles
        float sc = -INFINITY;
        if (visible) {
          const float* qr = qs + r * Dh;
          const float* kr = ks + lane * (Dh + 1);
          float dot = 0.f;
          for (int64_t dd = 0; dd < Dh; ++dd) dot += qr[dd] * kr[dd];
          sc = a.scale * dot;
        }
        attn::onlineTile<MPL>(m[rr], l[rr], o[rr], sc, vs, static_cast<int>(Dh + 1), Dh);
      }
    }
    __syncthreads();
  }

  // 3. The owner stores the new key and value (no block of this launch reads that slot from the cache).
  if (owner) {
    T* kOut = keys + ((b * a.L + slot) * a.Hkv + g) * Dh;
    T* vOut = values + ((b * a.L + slot) * a.Hkv + g) * Dh;
    for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
      kOut[i] = fromF<T>(kNew[i]);
      kOut[i + half] = fromF<T>(kNew[i + half]);
    }
    for (int64_t i = threadIdx.x; i < Dh; i += blockDim.x) vOut[i] = xv[i];
  }

  // 4. One chunk: the output directly. Several: partials, then the last block of (b, g) merges them.
  T* outRow = out + b * a.Hq * Dh;
  if (a.nChunks == 1) {
#pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int64_t r = warp + int64_t(rr) * kWarps;
      if (r >= rep) continue;
      const float inv = l[rr] > 0.f ? 1.f / l[rr] : 0.f;
#pragma unroll
      for (int x = 0; x < MPL; ++x) {
        const int64_t dd = lane + 32 * x;
        if (dd < Dh) outRow[(g * rep + r) * Dh + dd] = fromF<T>(o[rr][x] * inv);
      }
    }
    return;
  }
#pragma unroll
  for (int rr = 0; rr < kRowsPerWarp; ++rr) {
    const int64_t r = warp + int64_t(rr) * kWarps;
    if (r >= rep) continue;
    const int64_t at = (b * a.Hq + g * rep + r) * a.nChunks + c;
    if (lane == 0) {
      pm[at] = m[rr];
      pl[at] = l[rr];
    }
#pragma unroll
    for (int x = 0; x < MPL; ++x) {
      const int64_t dd = lane + 32 * x;
      if (dd < Dh) po[at * Dh + dd] = o[rr][x];
    }
  }
  __threadfence();  // the partials are visible device-wide before the ticket says so
  __syncthreads();
  unsigned* ticket = tickets + b * a.Hkv + g;
  if (threadIdx.x == 0) lastBlock = atomicAdd(ticket, 1u) == static_cast<unsigned>(a.nChunks - 1);
  __syncthreads();
  if (!lastBlock) return;
  __threadfence();
  for (int64_t r = warp; r < rep; r += kWarps) {
    const int64_t base = (b * a.Hq + g * rep + r) * a.nChunks;
    float mx = -INFINITY;
    for (int64_t cc = lane; cc < a.nChunks; cc += 32) mx = fmaxf(mx, __ldcg(pm + base + cc));
    mx = warpMax(mx);
    float acc[MPL];
#pragma unroll
    for (int x = 0; x < MPL; ++x) acc[x] = 0.f;
    float sum = 0.f;
    if (mx != -INFINITY) {
      for (int64_t cc = 0; cc < a.nChunks; ++cc) {
        const float w = expf(__ldcg(pm + base + cc) - mx);  // a chunk with no visible slot: e^{−∞} = 0
        sum += w * __ldcg(pl + base + cc);
#pragma unroll
        for (int x = 0; x < MPL; ++x) {
          const int64_t dd = lane + 32 * x;
          if (dd < Dh) acc[x] += w * __ldcg(po + (base + cc) * Dh + dd);
        }
      }
    }
    const float inv = sum > 0.f ? 1.f / sum : 0.f;
#pragma unroll
    for (int x = 0; x < MPL; ++x) {
      const int64_t dd = lane + 32 * x;
      if (dd < Dh) outRow[(g * rep + r) * Dh + dd] = fromF<T>(acc[x] * inv);
    }
  }
  if (threadIdx.x == 0) *ticket = 0u;  // every block of (b, g) has taken its ticket: ready for the next launch
}

}  // namespace

size_t attnDecodeStepSharedBytes(int64_t Hq, int64_t Hkv, int64_t Dh) {
  const int64_t rep = Hq / Hkv;
  return static_cast<size_t>(rep * Dh + 2 * kTile * (Dh + 1) + 2 * Dh) * sizeof(float);
}

void launchAttentionDecodeStep(Ctx& ctx, int dtype, void* out, void* keys, void* values, const void* qkv,
                               const int32_t* positions, const int32_t* slots, bool sharedSlot, const int32_t* qSeq,
                               const int32_t* kSeq, const float* invFreq, unsigned* tickets, int64_t B, int64_t L,
                               int64_t Hq, int64_t Hkv, int64_t Dh, float scale) {
  if (B == 0 || Hq == 0) return;
  if (L < 1 || Hkv < 1 || Hq % Hkv != 0 || Hq / Hkv > kAttnDecodeStepMaxGroup || Dh < 2 || Dh % 2 != 0 ||
      Dh > kAttnMaxHeadDim)
    throw Error("AttentionDecodeStep: unsupported shape (Hq/Hkv ≤ 16, even Dh ≤ 256, L ≥ 1)");
  if (Hkv > 65535 || B > 65535) throw Error("AttentionDecodeStep: too many KV heads or rows for the grid");
  // About four blocks per SM over (chunks × KV heads × rows); chunks are whole tiles.
  const int64_t groups = Hkv * B;
  int64_t chunks = (4 * static_cast<int64_t>(ctx.smCount) + groups - 1) / groups;
  if (chunks < 1) chunks = 1;
  int64_t keysPerChunk = (L + chunks - 1) / chunks;
  keysPerChunk = (keysPerChunk + kTile - 1) / kTile * kTile;
  const int64_t nChunks = (L + keysPerChunk - 1) / keysPerChunk;
  if (nChunks > 0x7fffffff) throw Error("AttentionDecodeStep: too many chunks");
  const StepArgs a{B, L, Hq, Hkv, Dh, scale, sharedSlot, keysPerChunk, nChunks};
  // Partials only where the chunks are merged (a one-chunk launch writes its output directly).
  const int64_t partials = nChunks > 1 ? B * Hq * nChunks : 1;
  Scratch pm(*ctx.alloc, partials * sizeof(float));
  Scratch pl(*ctx.alloc, partials * sizeof(float));
  Scratch po(*ctx.alloc, partials * Dh * sizeof(float));
  const size_t shared = attnDecodeStepSharedBytes(Hq, Hkv, Dh);
  const dim3 grid(static_cast<unsigned>(nChunks), static_cast<unsigned>(Hkv), static_cast<unsigned>(B));
  FH_DISPATCH_FLOAT(dtype, "AttentionDecodeStep", {
    FH_MPL_DISPATCH(Dh, {
      const int64_t perWarp = (Hq / Hkv + kWarps - 1) / kWarps;
      auto launch = [&](auto kernel) {
        attn::prepareShared(kernel, shared, ctx);
        kernel<<<grid, kWarps * 32, shared, ctx.stream>>>(
            static_cast<T*>(out), static_cast<T*>(keys), static_cast<T*>(values), static_cast<const T*>(qkv),
            positions, slots, qSeq, kSeq, invFreq, pm.as<float>(), pl.as<float>(), po.as<float>(), tickets, a);
      };
      static_assert(kMaxRowsPerWarp == 4, "one variant per rows-per-warp count below");
      if (perWarp <= 1)
        launch(attnDecodeStepKernel<T, MPL, 1>);
      else if (perWarp <= 2)
        launch(attnDecodeStepKernel<T, MPL, 2>);
      else
        launch(attnDecodeStepKernel<T, MPL, 4>);
      checkLaunch("AttentionDecodeStep");
    });
  });
}

}  // namespace fh
