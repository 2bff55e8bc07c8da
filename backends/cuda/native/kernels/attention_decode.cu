/*
 * attention_decode.cu — split-K attention for a few query rows against a long KV (decode: T = 1, or a handful of
 * speculative rows), on CUDA cores in f32, every float dtype.
 *
 * With T·Hq rows there is far too little work per (b, head) to fill the GPU, so the keys are split into chunks and
 * each block takes one chunk of one (b, KV head) for ALL the query rows that read that KV head (the T × Hq/Hkv rows
 * of its GQA group: the K/V tile staged in shared memory once serves them all). Pass 1 writes, per row and chunk,
 * the online-softmax partials (m = max score, l = Σ e^{s−m}, o = Σ e^{s−m}·v); pass 2 merges the chunks:
 *   M = max_c m_c;  L = Σ_c l_c·e^{m_c−M};  out = Σ_c o_c·e^{m_c−M} / L      (zeros when no key is visible).
 * Visibility is the contract's (attention_common.cuh): causal alignment j ≤ i + S − T and document ids.
 */
#include <cmath>

#include "attention_common.cuh"
#include "attention_tc.cuh"
#include "common.cuh"

namespace fh {

namespace {

constexpr int kWarps = 4;
constexpr int kTile = attn::kKeysPerTile;  // keys per shared-memory tile (one per lane)
constexpr int kRowsPerWarp = static_cast<int>(kAttnDecodeMaxRows) / kWarps;  // query rows a warp carries
constexpr int kCombineWarps = 8;                                       // warps merging one row's chunks

size_t decodeSharedBytes(const AttnArgs& a) {
  const int64_t rows = a.T * (a.Hq / a.Hkv);
  return static_cast<size_t>(rows * a.Dh + kTile * (a.Dh + 1) + kTile * (a.Dv + 1)) * sizeof(float);
}

/** Pass 1: block (chunk c, KV head g, batch b); warp w carries rows w, w + kWarps, ... of the group. */
template <typename T, int MPL>
__global__ void __launch_bounds__(kWarps * 32)
    attnDecodePartialKernel(float* __restrict__ pm, float* __restrict__ pl, float* __restrict__ po,
                            const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                            const int32_t* __restrict__ qSeq, const int32_t* __restrict__ kSeq, AttnArgs a,
                            int64_t keysPerChunk, int64_t nChunks) {
  extern __shared__ float sm[];
  const int64_t rep = a.Hq / a.Hkv, rows = a.T * rep;
  float* qs = sm;                       // [rows][Dh]
  float* ks = qs + rows * a.Dh;         // [kTile][Dh+1]
  float* vs = ks + kTile * (a.Dh + 1);  // [kTile][Dv+1]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t c = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  // Row r = t·rep + hh reads query head g·rep + hh at position t.
  for (int64_t idx = threadIdx.x; idx < rows * a.Dh; idx += blockDim.x) {
    const int64_t r = idx / a.Dh, dd = idx - r * a.Dh, t = r / rep, h = g * rep + (r - t * rep);
    qs[idx] = toF<T>(q[((b * a.T + t) * a.Hq + h) * a.Dh + dd]);
  }
  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][MPL];
  attn::startRows(m, l, o);
  const int64_t jBegin = c * keysPerChunk;
  const int64_t jEnd = jBegin + keysPerChunk < a.S ? jBegin + keysPerChunk : a.S;
  for (int64_t j0 = jBegin; j0 < jEnd; j0 += kTile) {
    attn::loadRows<T>(ks, static_cast<int>(a.Dh + 1), k, b, j0, kTile, a.S, a.Hkv, g, a.Dh);
    attn::loadRows<T>(vs, static_cast<int>(a.Dv + 1), v, b, j0, kTile, a.S, a.Hkv, g, a.Dv);
    __syncthreads();
#pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int64_t r = warp + int64_t(rr) * kWarps;
      if (r < rows) {
        const int64_t t = r / rep, j = j0 + lane;
        const bool vis = j < jEnd && attn::visible(a, qSeq, kSeq, b, t, j);
        float sc = -INFINITY;
        if (vis) {
          const float* qr = qs + r * a.Dh;
          const float* kr = ks + lane * (a.Dh + 1);
          float dot = 0.f;
          for (int64_t dd = 0; dd < a.Dh; ++dd) dot += qr[dd] * kr[dd];
          sc = a.scale * dot;
        }
        attn::onlineTile<MPL>(m[rr], l[rr], o[rr], sc, vs, static_cast<int>(a.Dv + 1), a.Dv);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int rr = 0; rr < kRowsPerWarp; ++rr) {
    const int64_t r = warp + int64_t(rr) * kWarps;
    if (r < rows) {
      const int64_t t = r / rep, h = g * rep + (r - t * rep);
      const int64_t slot = ((b * a.Hq + h) * a.T + t) * nChunks + c;
      if (lane == 0) {
        pm[slot] = m[rr];
        pl[slot] = l[rr];
      }
#pragma unroll
      for (int x = 0; x < MPL; ++x) {
        const int64_t dd = lane + 32 * x;
        if (dd < a.Dv) po[slot * a.Dv + dd] = o[rr][x];
      }
    }
  }
}

/**
 * Pass 2: one block per (b, h, t) merges its nChunks partials into out [B, T, Hq, Dv]. The chunks are spread over
 * the block's warps (a warp walking all of them one global load after another would take longer than pass 1).
 */
template <typename T, int MPL>
__global__ void __launch_bounds__(kCombineWarps * 32)
    attnDecodeCombineKernel(T* __restrict__ out, const float* __restrict__ pm, const float* __restrict__ pl,
                            const float* __restrict__ po, AttnArgs a, int64_t nChunks) {
  __shared__ float maxS[kCombineWarps];
  __shared__ float sumS[kCombineWarps];
  __shared__ float accS[kCombineWarps][32 * MPL];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t row = blockIdx.x;  // (b·Hq + h)·T + t
  const int64_t t = row % a.T, bh = row / a.T, h = bh % a.Hq, b = bh / a.Hq;
  const float* rm = pm + row * nChunks;
  float mx = -INFINITY;
  for (int64_t c = threadIdx.x; c < nChunks; c += blockDim.x) mx = fmaxf(mx, rm[c]);
  mx = warpMax(mx);
  if (lane == 0) maxS[warp] = mx;
  __syncthreads();
  mx = maxS[0];
#pragma unroll
  for (int w = 1; w < kCombineWarps; ++w) mx = fmaxf(mx, maxS[w]);
  float acc[MPL];
#pragma unroll
  for (int x = 0; x < MPL; ++x) acc[x] = 0.f;
  float sum = 0.f;
  if (mx != -INFINITY) {
#pragma unroll 4
    for (int64_t c = warp; c < nChunks; c += kCombineWarps) {
      const float w = expf(rm[c] - mx);  // a chunk with no visible key: e^{−∞} = 0 (its l and o are 0 too)
      sum += w * pl[row * nChunks + c];
      const float* o = po + (row * nChunks + c) * a.Dv;
#pragma unroll
      for (int x = 0; x < MPL; ++x) {
        const int64_t dd = lane + 32 * x;
        if (dd < a.Dv) acc[x] += w * o[dd];
      }
    }
  }
  if (lane == 0) sumS[warp] = sum;
#pragma unroll
  for (int x = 0; x < MPL; ++x) accS[warp][lane + 32 * x] = acc[x];
  __syncthreads();
  if (warp != 0) return;
  float total = 0.f;
#pragma unroll
  for (int w = 0; w < kCombineWarps; ++w) total += sumS[w];
  const float inv = total > 0.f ? 1.f / total : 0.f;
#pragma unroll
  for (int x = 0; x < MPL; ++x) {
    const int64_t dd = lane + 32 * x;
    float v = 0.f;
#pragma unroll
    for (int w = 0; w < kCombineWarps; ++w) v += accS[w][lane + 32 * x];
    if (dd < a.Dv) out[((b * a.T + t) * a.Hq + h) * a.Dv + dd] = fromF<T>(v * inv);
  }
}

}  // namespace

bool attnDecodeEligible(const Ctx& ctx, const AttnArgs& a) {
  if (a.T < 1 || a.T > kAttnDecodeMaxT || a.S < 1 || a.Hkv < 1) return false;
  if (a.T * (a.Hq / a.Hkv) > kAttnDecodeMaxRows) return false;
  if (a.Dh > kAttnMaxHeadDim || a.Dv > kAttnMaxHeadDim || a.Dh < 1 || a.Dv < 1) return false;
  if (a.Hkv > 65535) return false;
  return decodeSharedBytes(a) <= ctx.maxSharedPerBlockOptin;
}

void launchAttentionDecode(Ctx& ctx, int dtype, void* out, const void* q, const void* k, const void* v,
                           const int32_t* qSeq, const int32_t* kSeq, const AttnArgs& a) {
  // About four blocks per SM over (chunks × KV heads × batch); chunks are whole tiles.
  const int64_t groups = a.Hkv * a.B;
  int64_t chunks = (4 * static_cast<int64_t>(ctx.smCount) + groups - 1) / groups;
  if (chunks < 1) chunks = 1;
  int64_t keysPerChunk = (a.S + chunks - 1) / chunks;
  keysPerChunk = (keysPerChunk + kTile - 1) / kTile * kTile;
  const int64_t nChunks = (a.S + keysPerChunk - 1) / keysPerChunk;
  const int64_t rowsTotal = a.B * a.Hq * a.T;
  Scratch pm(*ctx.alloc, rowsTotal * nChunks * sizeof(float));
  Scratch pl(*ctx.alloc, rowsTotal * nChunks * sizeof(float));
  Scratch po(*ctx.alloc, rowsTotal * nChunks * a.Dv * sizeof(float));
  const size_t shared = decodeSharedBytes(a);
  const dim3 grid1(static_cast<unsigned>(nChunks), static_cast<unsigned>(a.Hkv), static_cast<unsigned>(a.B));
  if (rowsTotal > 0x7fffffff) throw Error("Attention (decode): too many query rows");
  const unsigned grid2 = static_cast<unsigned>(rowsTotal);
  const int64_t maxD = a.Dh > a.Dv ? a.Dh : a.Dv;
  FH_DISPATCH_FLOAT(dtype, "Attention (decode)", {
    FH_MPL_DISPATCH(maxD, {
      attn::prepareShared(attnDecodePartialKernel<T, MPL>, shared, ctx);
      attnDecodePartialKernel<T, MPL><<<grid1, kWarps * 32, shared, ctx.stream>>>(
          pm.as<float>(), pl.as<float>(), po.as<float>(), static_cast<const T*>(q), static_cast<const T*>(k),
          static_cast<const T*>(v), qSeq, kSeq, a, keysPerChunk, nChunks);
      checkLaunch("Attention (decode partials)");
      attnDecodeCombineKernel<T, MPL><<<grid2, kCombineWarps * 32, 0, ctx.stream>>>(
          static_cast<T*>(out), pm.as<float>(), pl.as<float>(), po.as<float>(), a, nChunks);
      checkLaunch("Attention (decode combine)");
    });
  });
}

}  // namespace fh
