/*
 * attention_decode_step.cu — the fused decode step of attention over a static KV cache (contract entry
 * AttentionDecodeStep), ONE launch per layer and token instead of two RoPEs, two cache writes and the two launches
 * of the split-K decode attention (attention_decode.cu):
 *
 *   grid (chunk c, KV head g, row b): each block takes one chunk of slots (whole 32-slot tiles) for the Hq/Hkv query
 *   heads of KV head g; a warp carries one or more of those query rows over every tile. The chunks are as many as one
 *   wave of resident blocks holds (at most 64).
 *
 * A decode step at the 0.5B's shapes is tiny (a layer's whole cache is ~0.3 MB at B = 1), so what costs is the chain
 * of memory round trips each block waits for in turn, not bandwidth. The kernel is ordered to wait as few times as
 * possible:
 *   0. Every block issues its first tile's key and value loads (two values per load, into registers) and the tile's
 *      document ids before anything else, then stages the raw q (and new k, v) rows in shared memory: one round trip
 *      covers all of them. The step's q|k|v may sit at an offset in a wider row (one projection feeds the SSM step
 *      and this one), and a prefix row (the SSM branch's output) may go in front of o: the row's blocks copy it, so
 *      the merged out-projection reads [prefix | o] with no Concat launch.
 *   1. RoPE: cos/sin of the Dh/2 frequencies once per block (f32 angle from the Rope table, f64 cos/sin rounded to
 *      f32, f64 products, exactly as rope.cu), then the group's queries roped in place and rounded to the dtype as
 *      the composition stores them. The block whose chunk holds the step's slot (the OWNER: chunks partition the
 *      slots, so it alone reads that slot) also ropes the new key.
 *   2. Per tile: the registers go to shared memory as f32 (the owner's tile takes the new key and value for the
 *      step's slot instead of the cache's stale row), the NEXT tile's loads are issued, and the online softmax runs
 *      over this tile (slot j visible iff kSeq[b, j] = qSeq[b]; the query is the last position, so causality hides
 *      nothing) while they are in flight.
 *   3. The owner stores the new key and value into the cache slot (no block of this launch reads it from the cache).
 *   4. One chunk: the block writes o / l. Several: each block writes its partials (m, l, o) and takes a ticket for its
 *      (b, g); the last to arrive merges the chunks, lanes over chunks for the max and the weights, loads of every
 *      chunk's o in flight together —
 *        M = max_c m_c;  L = Σ_c l_c·e^{m_c−M};  out = Σ_c o_c·e^{m_c−M} / L      (zeros when no slot is visible)
 *      — and resets the ticket to 0 for the next launch (also a graph replay: the tickets live in a buffer that
 *      starts zeroed and is zeroed again by every launch).
 */
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "attention_common.cuh"
#include "attention_decode_step.cuh"
#include "common.cuh"
#include "mma_fragments.cuh"
#include "pdl_launch.cuh"

namespace fh {

namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kTile = attn::kKeysPerTile;  // slots per tile: one per lane
/** Most chunks a (b, g) is split into: the last block's merge stays at two rounds of lanes over chunks. */
constexpr int64_t kMaxChunks = 64;
/**
 * Query heads a warp carries (RPW, a template argument): the group's Hq/Hkv heads over kWarps warps. As small as
 * the group allows, so the accumulators m, l, o[RPW][MPL] stay in registers.
 */
constexpr int kMaxRowsPerWarp = static_cast<int>(kAttnDecodeStepMaxGroup) / kWarps;

struct StepArgs {
  int64_t B, L, Hq, Hkv, Dh;
  float scale;
  bool sharedSlot;
  bool early;  // PDL: the first tile's loads go before the wait (the predecessor writes no cache, no kSeq)
  int64_t tilesPerChunk, nChunks;
  int64_t qkvStride, qkvOffset;  // qkv's row length and the first column of the step's q|k|v in it
  int64_t prefixWidth;           // C: out's row is [prefix | o], C + Hq·Dh wide (prefix null: written by another kernel)
};

/** Two consecutive T values, loaded as one word (Dh is even and rows start at even offsets, so words are aligned). */
template <typename T>
struct PairOf;
template <>
struct PairOf<float> {
  using Word = float2;
  static __device__ __forceinline__ float2 unpack(Word w) { return w; }
};
template <>
struct PairOf<__nv_bfloat16> {
  using Word = uint32_t;
  // bf16 is the high half of an f32: widening is a shift.
  static __device__ __forceinline__ float2 unpack(Word w) {
    return make_float2(__uint_as_float(w << 16), __uint_as_float(w & 0xffff0000u));
  }
};
template <>
struct PairOf<__half> {
  using Word = uint32_t;
  static __device__ __forceinline__ float2 unpack(Word w) {
    return __half22float2(*reinterpret_cast<const __half2*>(&w));
  }
};

/**
 * One tile of keys and values in flight, in registers: kTile rows × Dh/2 words each, spread over the block's
 * threads (thread t holds words t, t + kThreads, ...; Dh ≤ 32·MPL, so at most 4·MPL words each), plus each lane's
 * document id for slot j0 + lane.
 */
template <typename T, int MPL>
struct TileInFlight {
  static constexpr int kWords = kTile * 16 * MPL / kThreads;
  typename PairOf<T>::Word k[kWords], v[kWords];
  int32_t document;
};

/** Issues the loads of tile [j0, j0 + kTile) of the chunk (ending at jEnd) of KV head g, row b. */
template <typename T, int MPL>
__device__ __forceinline__ void issueTile(TileInFlight<T, MPL>& t, const T* keys, const T* values,
                                          const int32_t* kSeq, int64_t b, int64_t j0, int64_t jEnd, int64_t g,
                                          const StepArgs& a) {
  using Word = typename PairOf<T>::Word;
  const int words = static_cast<int>(a.Dh / 2);
#pragma unroll
  for (int u = 0; u < TileInFlight<T, MPL>::kWords; ++u) {
    const int w = static_cast<int>(threadIdx.x) + u * kThreads;
    const int rr = w / words, cc = w - rr * words;
    const int64_t j = j0 + rr;
    if (rr < kTile && j < jEnd) {
      const int64_t at = ((b * a.L + j) * a.Hkv + g) * a.Dh + 2 * cc;
      t.k[u] = *reinterpret_cast<const Word*>(keys + at);
      t.v[u] = *reinterpret_cast<const Word*>(values + at);
    }
  }
  const int64_t j = j0 + (threadIdx.x & 31);
  t.document = j < jEnd ? kSeq[b * a.L + j] : 0;
}

/**
 * The tile's registers into shared rows of Dh + 1 floats (zeros past the chunk's end); the step's slot, where this
 * block owns it, from kNew / vNew (the new key, roped and rounded as the cache stores it, and the new value).
 */
template <typename T, int MPL>
__device__ __forceinline__ void stageTile(float* ks, float* vs, const TileInFlight<T, MPL>& t, const float* kNew,
                                          const float* vNew, int64_t slot, int64_t j0, int64_t jEnd,
                                          const StepArgs& a) {
  const int words = static_cast<int>(a.Dh / 2), pitch = static_cast<int>(a.Dh) + 1;
#pragma unroll
  for (int u = 0; u < TileInFlight<T, MPL>::kWords; ++u) {
    const int w = static_cast<int>(threadIdx.x) + u * kThreads;
    const int rr = w / words, cc = w - rr * words;
    if (rr >= kTile) continue;
    const int64_t j = j0 + rr;
    float2 k = make_float2(0.f, 0.f), v = make_float2(0.f, 0.f);
    if (j == slot) {
      k = make_float2(kNew[2 * cc], kNew[2 * cc + 1]);
      v = make_float2(vNew[2 * cc], vNew[2 * cc + 1]);
    } else if (j < jEnd) {
      k = PairOf<T>::unpack(t.k[u]);
      v = PairOf<T>::unpack(t.v[u]);
    }
    ks[rr * pitch + 2 * cc] = k.x;
    ks[rr * pitch + 2 * cc + 1] = k.y;
    vs[rr * pitch + 2 * cc] = v.x;
    vs[rr * pitch + 2 * cc + 1] = v.y;
  }
}

/** RoPE of the pair (x1, x2) by the rounded cos/sin (c, s), as rope.cu computes it, each result rounded to T. */
template <typename T>
__device__ __forceinline__ void ropePair(float& x1, float& x2, double c, double s) {
  const double d1 = x1, d2 = x2;
  x1 = toF<T>(fromD<T>(d1 * c - d2 * s));
  x2 = toF<T>(fromD<T>(d2 * c + d1 * s));
}

/**
 * Step 4's second half, shared by both kernels: the block has written its chunk's partials (m in the natural-log
 * domain, l, and the unnormalised o of each of the group's query rows); it takes a ticket for its (b, g), and the
 * last block to arrive merges the chunks into outRow.
 */
template <typename T, int MPL>
__device__ __forceinline__ void mergeChunks(T* outRow, const float* pm, const float* pl, const float* po,
                                            unsigned* tickets, int64_t b, int64_t g, const StepArgs& a) {
  __shared__ bool lastBlock;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t rep = a.Hq / a.Hkv, Dh = a.Dh;
  __threadfence();  // the partials are visible device-wide before the ticket says so
  __syncthreads();
  unsigned* ticket = tickets + b * a.Hkv + g;
  if (threadIdx.x == 0) lastBlock = atomicAdd(ticket, 1u) == static_cast<unsigned>(a.nChunks - 1);
  __syncthreads();
  if (!lastBlock) return;
  __threadfence();
  const int nChunks = static_cast<int>(a.nChunks);
  for (int64_t r = warp; r < rep; r += kWarps) {
    const int64_t base = (b * a.Hq + g * rep + r) * a.nChunks;
    // Lanes over chunks: each lane's chunks' maxima, then M.
    float mx = -INFINITY;
    for (int cc = lane; cc < nChunks; cc += 32) mx = fmaxf(mx, __ldcg(pm + base + cc));
    mx = warpMax(mx);
    float acc[MPL];
#pragma unroll
    for (int x = 0; x < MPL; ++x) acc[x] = 0.f;
    float sum = 0.f;
    if (mx != -INFINITY) {
      for (int c0 = 0; c0 < nChunks; c0 += 32) {
        // Lane k weighs chunk c0 + k (e^{−∞} = 0 for a chunk with no visible slot) ...
        const int mine = c0 + lane;
        const float w = mine < nChunks ? expf(__ldcg(pm + base + mine) - mx) : 0.f;
        sum += mine < nChunks ? w * __ldcg(pl + base + mine) : 0.f;
        // ... and every lane sums those chunks' o over its dims, eight chunks' loads in flight at a time.
        const int count = nChunks - c0 < 32 ? nChunks - c0 : 32;
#pragma unroll 8
        for (int k = 0; k < count; ++k) {
          const float wk = __shfl_sync(0xffffffffu, w, k);
          const float* oc = po + (base + c0 + k) * Dh;
#pragma unroll
          for (int x = 0; x < MPL; ++x) {
            const int64_t dd = lane + 32 * x;
            if (dd < Dh) acc[x] += wk * __ldcg(oc + dd);
          }
        }
      }
    }
    sum = warpSum(sum);
    const float inv = sum > 0.f ? 1.f / sum : 0.f;
#pragma unroll
    for (int x = 0; x < MPL; ++x) {
      const int64_t dd = lane + 32 * x;
      if (dd < Dh) outRow[(g * rep + r) * Dh + dd] = fromF<T>(acc[x] * inv);
    }
  }
  if (threadIdx.x == 0) *ticket = 0u;  // every block of (b, g) has taken its ticket: ready for the next launch
}

template <typename T, int MPL, int kRowsPerWarp>
__global__ void __launch_bounds__(kThreads)
    attnDecodeStepKernel(T* __restrict__ out, T* __restrict__ keys, T* __restrict__ values, const T* __restrict__ qkv,
                         const int32_t* __restrict__ positions, const int32_t* __restrict__ slots,
                         const int32_t* __restrict__ qSeq, const int32_t* __restrict__ kSeq,
                         const float* __restrict__ invFreq, float* __restrict__ pm, float* __restrict__ pl,
                         float* __restrict__ po, unsigned* __restrict__ tickets, const T* __restrict__ prefix,
                         StepArgs a) {
  extern __shared__ float sm[];
  const int64_t rep = a.Hq / a.Hkv, Dh = a.Dh, half = Dh / 2;
  const int pitch = static_cast<int>(Dh) + 1;
  float* qs = sm;                        // [rep][Dh] the group's queries: raw, then roped
  float* ks = qs + rep * Dh;             // [kTile][Dh+1]
  float* vs = ks + kTile * pitch;        // [kTile][Dh+1]
  float* kNew = vs + kTile * pitch;      // [Dh] the new key: raw, then roped and rounded as the cache stores it
  float* vNew = kNew + Dh;               // [Dh] the new value
  float* cosv = vNew + Dh;               // [Dh/2] the rounded cos of each frequency at this position
  float* sinv = cosv + half;             // [Dh/2] and its sin
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t c = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int64_t jBegin = c * a.tilesPerChunk * kTile;
  const int64_t jEnd = jBegin + a.tilesPerChunk * kTile < a.L ? jBegin + a.tilesPerChunk * kTile : a.L;

  // 0. The first tile's loads, then everything else this block reads, all in flight together. Under Programmatic
  //    Dependent Launch (pdl_launch.cuh) the tile's loads may even precede the wait for the previous kernel (the
  //    projection of q|k|v), which then overlaps them; nothing is written before the wait.
  TileInFlight<T, MPL> tile;
  if (a.early) issueTile<T, MPL>(tile, keys, values, kSeq, b, jBegin, jEnd, g, a);
  pdl::waitForPredecessor();
  pdl::allowDependents();
  if (!a.early) issueTile<T, MPL>(tile, keys, values, kSeq, b, jBegin, jEnd, g, a);
  const int32_t pos = positions[b];
  const int64_t step = slots[a.sharedSlot ? 0 : b];
  const int32_t document = qSeq[b];
  const T* row = qkv + b * a.qkvStride + a.qkvOffset;
  for (int64_t idx = threadIdx.x; idx < rep * Dh; idx += kThreads) qs[idx] = toF<T>(row[g * rep * Dh + idx]);
  const bool owner = step >= jBegin && step < jEnd;  // (never for a slot outside [0, L))
  const int64_t slot = owner ? step : -1;
  const T* xk = row + (a.Hq + g) * Dh;
  const T* xv = row + (a.Hq + a.Hkv + g) * Dh;
  if (owner) {
    for (int64_t i = threadIdx.x; i < Dh; i += kThreads) {
      kNew[i] = toF<T>(xk[i]);
      vNew[i] = toF<T>(xv[i]);
    }
  }
  for (int64_t idx = threadIdx.x; idx < 2 * half; idx += kThreads) {
    const int64_t i = idx < half ? idx : idx - half;
    const double angle = static_cast<double>(__fmul_rn(static_cast<float>(pos), invFreq[i]));
    if (idx < half)
      cosv[i] = static_cast<float>(cos(angle));
    else
      sinv[i] = static_cast<float>(sin(angle));
  }
  // The prefix's row goes in front of o (the merged out-projection reads [prefix | o] as one row: no Concat
  // launch): the row's blocks share the copy, one element per thread at the 0.5B's sizes.
  const int64_t outStride = a.prefixWidth + a.Hq * Dh;
  if (prefix != nullptr) {
    const int64_t blocksOfRow = int64_t(gridDim.x) * gridDim.y, mine = g * gridDim.x + c;
    for (int64_t i = mine * kThreads + threadIdx.x; i < a.prefixWidth; i += blocksOfRow * kThreads)
      out[b * outStride + i] = prefix[b * a.prefixWidth + i];
  }
  __syncthreads();

  // 1. RoPE of the queries (and, owner, the new key) in place.
  for (int64_t idx = threadIdx.x; idx < rep * half; idx += kThreads) {
    const int64_t r = idx / half, i = idx - r * half;
    ropePair<T>(qs[r * Dh + i], qs[r * Dh + i + half], cosv[i], sinv[i]);
  }
  if (owner)
    for (int64_t i = threadIdx.x; i < half; i += kThreads) ropePair<T>(kNew[i], kNew[i + half], cosv[i], sinv[i]);
  __syncthreads();

  // 2. Online softmax over the chunk's tiles, the next tile's loads in flight during each tile's arithmetic.
  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][MPL];
  attn::startRows(m, l, o);
  for (int64_t j0 = jBegin; j0 < jEnd; j0 += kTile) {
    stageTile<T, MPL>(ks, vs, tile, kNew, vNew, slot, j0, jEnd, a);
    const bool visible = j0 + lane < jEnd && tile.document == document;  // once per tile, not once per query row
    if (j0 + kTile < jEnd) issueTile<T, MPL>(tile, keys, values, kSeq, b, j0 + kTile, jEnd, g, a);
    __syncthreads();
#pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int64_t r = warp + int64_t(rr) * kWarps;
      if (r < rep) {  // warp-uniform: the whole warp takes part in onlineTile's shuffles
        float sc = -INFINITY;
        if (visible) {
          const float* qr = qs + r * Dh;
          const float* kr = ks + lane * pitch;
          float dot = 0.f;
#pragma unroll 8
          for (int dd = 0; dd < static_cast<int>(Dh); ++dd) dot += qr[dd] * kr[dd];
          sc = a.scale * dot;
        }
        attn::onlineTile<MPL>(m[rr], l[rr], o[rr], sc, vs, pitch, Dh);
      }
    }
    __syncthreads();
  }

  // 3. The owner stores the new key and value (no block of this launch reads that slot from the cache).
  if (owner) {
    T* kOut = keys + ((b * a.L + slot) * a.Hkv + g) * Dh;
    T* vOut = values + ((b * a.L + slot) * a.Hkv + g) * Dh;
    for (int64_t i = threadIdx.x; i < Dh; i += kThreads) {
      kOut[i] = fromF<T>(kNew[i]);
      vOut[i] = xv[i];
    }
  }

  // 4. One chunk: the output directly. Several: partials, then the last block of (b, g) merges them.
  T* outRow = out + b * outStride + a.prefixWidth;
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
  mergeChunks<T, MPL>(outRow, pm, pl, po, tickets, b, g, a);
}


// ------------------------------------------------------------------------------------ the tensor-core variant
/*
 * 16-bit caches with Dh = 64 or 128: the products run on tensor cores (mma.sync.m16n8k16, f32 accumulation; the
 * fragments and ldmatrix loads of mma_fragments.cuh, as the prefill kernel attention_tc.cu). The CUDA-core kernel
 * above spends its time issuing shared-memory loads and FMAs (Nsight at B = 32: 3.8k instructions per warp, half
 * the issue slots used); here a 32-slot tile is 32 mma instructions.
 *
 * Same grid and steps 0–4 as above, except that a block's chunk is split over its WARPS, tile by tile (warp w takes
 * the chunk's tiles w, w + 4, ...), each warp with its own tile in shared memory:
 *   - the group's queries are one 16-row A operand (rows past Hq/Hkv are zeros), roped and rounded as above, held in
 *     registers for the whole chunk;
 *   - per tile: K and V arrive by cp.async as stored (16-bit; the K copy of the next tile overlaps this tile's
 *     softmax and P·V, the V copy its scores); the warp owning the step's slot puts the new key and value in its
 *     row; S = Q·Kᵀ; slots of other documents (or past the chunk) masked; online softmax in the log2 domain;
 *     O += P·V with P rounded to the cache's dtype (FlashAttention's rounding: ~1e-3 relative, inside the
 *     contract's 16-bit tolerance);
 *   - the four warps' (m, l, O) merge in shared memory (over the K/V tiles, which are free by then), and the block
 *     writes o, or its partials for the last block's merge (mergeChunks).
 */
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr int kTcRows = 16;  // the query tile: the group's Hq/Hkv ≤ 16 heads

template <int D>
__host__ __device__ constexpr int tcPitch() {
  return D + 8;  // 16-bit elements per shared row: the eight rows of an ldmatrix hit distinct banks
}

template <int D>
constexpr size_t tcSharedBytes() {
  // q tile, each warp's K and V tiles (16-bit), then the new key and value and cos/sin (f32).
  return size_t(kTcRows) * tcPitch<D>() * 2 + size_t(kWarps) * 2 * kTile * tcPitch<D>() * 2 + size_t(3) * D * 4;
}

/** Tile [j0, j0 + kTile) of one 16-bit [B, L, Hkv, D] tensor for KV head g into dst[kTile][P] (zeros past jEnd). */
template <typename T, int D>
__device__ __forceinline__ void copyTileAsync(T* dst, const T* src, int64_t b, int64_t j0, int64_t jEnd, int64_t g,
                                              const StepArgs& a) {
  constexpr int kPieces = D / 8;  // 16-byte pieces per row
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int idx = lane; idx < kTile * kPieces; idx += 32) {
    const int rr = idx / kPieces, cc = idx - rr * kPieces;
    const int64_t j = j0 + rr;
    const bool valid = j < jEnd;
    const T* from = valid ? src + ((b * a.L + j) * a.Hkv + g) * D + cc * 8 : src;
    tc::cpAsync16(dst + rr * tcPitch<D>() + cc * 8, from, valid);
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    attnDecodeStepTcKernel(T* __restrict__ out, T* __restrict__ keys, T* __restrict__ values,
                           const T* __restrict__ qkv, const int32_t* __restrict__ positions,
                           const int32_t* __restrict__ slots, const int32_t* __restrict__ qSeq,
                           const int32_t* __restrict__ kSeq, const float* __restrict__ invFreq,
                           float* __restrict__ pm, float* __restrict__ pl, float* __restrict__ po,
                           unsigned* __restrict__ tickets, const T* __restrict__ prefix, StepArgs a) {
  constexpr int P = tcPitch<D>();
  constexpr int kDT = D / 8;      // n8 tiles across the head dim
  constexpr int kDK = D / 16;     // k16 steps across the head dim
  constexpr int kNT = kTile / 8;  // n8 tiles across a key tile
  constexpr int kHalf = D / 2;
  constexpr int kPairs = kTcRows * kHalf / kThreads;  // q pairs per thread (rows past the group: zeros)
  extern __shared__ __align__(16) unsigned char smRaw[];
  T* qT = reinterpret_cast<T*>(smRaw);  // [16][P] the roped queries
  T* tiles = qT + kTcRows * P;          // per warp: K [kTile][P], V [kTile][P]
  float* kNew = reinterpret_cast<float*>(tiles + kWarps * 2 * kTile * P);  // [D] raw, then roped and rounded
  float* vNew = kNew + D;                                                  // [D]
  float* cosv = vNew + D;                                                  // [D/2]
  float* sinv = cosv + kHalf;                                              // [D/2]
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, quad = lane >> 2, t4 = lane & 3;
  const int64_t c = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int64_t rep = a.Hq / a.Hkv;
  const int64_t jBegin = c * a.tilesPerChunk * kTile;
  const int64_t jEnd = jBegin + a.tilesPerChunk * kTile < a.L ? jBegin + a.tilesPerChunk * kTile : a.L;
  T* kt = tiles + warp * 2 * kTile * P;
  T* vt = kt + kTile * P;

  // 0. This warp's first tile (K, then V: two copy groups) and its slots' documents, before anything else.
  int64_t j0 = jBegin + int64_t(warp) * kTile;
  int32_t doc = 0;
  auto issueFirst = [&] {
    if (j0 < jEnd) copyTileAsync<T, D>(kt, keys, b, j0, jEnd, g, a);
    tc::cpAsyncCommit();
    if (j0 < jEnd) copyTileAsync<T, D>(vt, values, b, j0, jEnd, g, a);
    tc::cpAsyncCommit();
    doc = j0 + lane < jEnd ? kSeq[b * a.L + j0 + lane] : 0;
  };
  if (a.early) issueFirst();
  pdl::waitForPredecessor();
  pdl::allowDependents();
  if (!a.early) issueFirst();
  const int32_t pos = positions[b];
  const int64_t step = slots[a.sharedSlot ? 0 : b];
  const int32_t document = qSeq[b];
  const T* row = qkv + b * a.qkvStride + a.qkvOffset;
  // The raw q pairs (i, i + D/2) of this thread, loaded with everything else.
  float qx[kPairs], qy[kPairs];
#pragma unroll
  for (int u = 0; u < kPairs; ++u) {
    const int idx = threadIdx.x + u * kThreads, r = idx / kHalf, i = idx - r * kHalf;
    qx[u] = r < rep ? toF<T>(row[(g * rep + r) * D + i]) : 0.f;
    qy[u] = r < rep ? toF<T>(row[(g * rep + r) * D + i + kHalf]) : 0.f;
  }
  const bool owner = step >= jBegin && step < jEnd;
  const T* xk = row + (a.Hq + g) * D;
  const T* xv = row + (a.Hq + a.Hkv + g) * D;
  if (owner) {
    for (int i = threadIdx.x; i < D; i += kThreads) {
      kNew[i] = toF<T>(xk[i]);
      vNew[i] = toF<T>(xv[i]);
    }
  }
  const int64_t outStride = a.prefixWidth + a.Hq * D;
  if (prefix != nullptr) {
    const int64_t blocksOfRow = int64_t(gridDim.x) * gridDim.y, mine = g * gridDim.x + c;
    for (int64_t i = mine * kThreads + threadIdx.x; i < a.prefixWidth; i += blocksOfRow * kThreads)
      out[b * outStride + i] = prefix[b * a.prefixWidth + i];
  }
  for (int idx = threadIdx.x; idx < D; idx += kThreads) {
    const int i = idx < kHalf ? idx : idx - kHalf;
    const double angle = static_cast<double>(__fmul_rn(static_cast<float>(pos), invFreq[i]));
    if (idx < kHalf)
      cosv[i] = static_cast<float>(cos(angle));
    else
      sinv[i] = static_cast<float>(sin(angle));
  }
  __syncthreads();

  // 1. RoPE of the queries into the q tile (rounded to T as the composition stores them) and of the new key.
#pragma unroll
  for (int u = 0; u < kPairs; ++u) {
    const int idx = threadIdx.x + u * kThreads, r = idx / kHalf, i = idx - r * kHalf;
    float x1 = qx[u], x2 = qy[u];
    if (r < rep) ropePair<T>(x1, x2, cosv[i], sinv[i]);
    qT[r * P + i] = fromF<T>(x1);
    qT[r * P + i + kHalf] = fromF<T>(x2);
  }
  if (owner)
    for (int i = threadIdx.x; i < kHalf; i += kThreads) ropePair<T>(kNew[i], kNew[i + kHalf], cosv[i], sinv[i]);
  __syncthreads();

  // 2. The warp's tiles: scores on tensor cores, online softmax, O += P·V.
  uint32_t qf[kDK][4];
#pragma unroll
  for (int kk = 0; kk < kDK; ++kk) tc::loadA<P>(qf[kk], qT, 0, kk * 16);
  const float sl = a.scale * kLog2e;
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;  // rows quad and quad + 8
  float acc[kDT][4];
#pragma unroll
  for (int x = 0; x < kDT; ++x) acc[x][0] = acc[x][1] = acc[x][2] = acc[x][3] = 0.f;
  while (j0 < jEnd) {
    const int64_t jNext = j0 + int64_t(kWarps) * kTile;
    const bool holdsStep = owner && step >= j0 && step < j0 + kTile;
    tc::cpAsyncWait<1>();  // this tile's K (its V may still be in flight)
    __syncwarp();
    if (holdsStep) {
      for (int i = lane; i < D; i += 32) kt[(step - j0) * P + i] = fromF<T>(kNew[i]);
      __syncwarp();
    }
    float s[kNT][4];
    tc::scoreTile<P>(s, qf, kt);
    __syncwarp();  // every lane's ldmatrix of K is done before the next tile's copy overwrites it
    if (jNext < jEnd) copyTileAsync<T, D>(kt, keys, b, jNext, jEnd, g, a);
    tc::cpAsyncCommit();
    const int32_t nextDoc = jNext < jEnd && jNext + lane < jEnd ? kSeq[b * a.L + jNext + lane] : 0;
    // Scale into the log2 domain; slot j is visible iff it is in the chunk and of the query's document.
#pragma unroll
    for (int x = 0; x < kNT; ++x) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int col = x * 8 + 2 * t4 + e;
        // Every lane shuffles (a shuffle skipped by some lanes of its mask never completes): no short-circuit.
        const int32_t colDoc = __shfl_sync(0xffffffffu, doc, col);
        const bool visible = j0 + col < jEnd && colDoc == document;
        s[x][e] = visible ? s[x][e] * sl : -INFINITY;
        s[x][e + 2] = visible ? s[x][e + 2] * sl : -INFINITY;
      }
    }
    tc::onlineSoftmaxTile(s, m0, m1, l0, l1, acc);
    tc::cpAsyncWait<1>();  // this tile's V (the next K may still be in flight)
    __syncwarp();
    if (holdsStep) {
      for (int i = lane; i < D; i += 32) vt[(step - j0) * P + i] = fromF<T>(vNew[i]);
      __syncwarp();
    }
    tc::accumulatePV<P>(acc, s, vt);
    __syncwarp();
    if (jNext < jEnd) copyTileAsync<T, D>(vt, values, b, jNext, jEnd, g, a);
    tc::cpAsyncCommit();
    doc = nextDoc;
    j0 = jNext;
  }
  tc::cpAsyncWait<0>();
  l0 = tc::quadSum(l0);
  l1 = tc::quadSum(l1);

  // 3. The owner stores the new key and value (no block of this launch reads that slot from the cache).
  if (owner) {
    T* kOut = keys + ((b * a.L + step) * a.Hkv + g) * D;
    T* vOut = values + ((b * a.L + step) * a.Hkv + g) * D;
    for (int i = threadIdx.x; i < D; i += kThreads) {
      kOut[i] = fromF<T>(kNew[i]);
      vOut[i] = xv[i];
    }
  }

  // 4. The warps' (m, l, O) merge in shared memory, over the K/V tiles.
  __syncthreads();
  float* mergeO = reinterpret_cast<float*>(tiles);  // [kWarps][16][D]
  float* mergeM = mergeO + kWarps * kTcRows * D;    // [kWarps][16]
  float* mergeL = mergeM + kWarps * kTcRows;        // [kWarps][16]
#pragma unroll
  for (int x = 0; x < kDT; ++x) {
    const int col = x * 8 + 2 * t4;
    float* r0 = mergeO + (warp * kTcRows + quad) * D + col;
    float* r1 = r0 + 8 * D;
    r0[0] = acc[x][0];
    r0[1] = acc[x][1];
    r1[0] = acc[x][2];
    r1[1] = acc[x][3];
  }
  if (t4 == 0) {
    mergeM[warp * kTcRows + quad] = m0;
    mergeM[warp * kTcRows + quad + 8] = m1;
    mergeL[warp * kTcRows + quad] = l0;
    mergeL[warp * kTcRows + quad + 8] = l1;
  }
  __syncthreads();
  T* outRow = out + b * outStride + a.prefixWidth;
  for (int64_t idx = threadIdx.x; idx < rep * D; idx += kThreads) {
    const int64_t r = idx / D, d = idx - r * D;
    float M = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) M = fmaxf(M, mergeM[w * kTcRows + r]);
    float O = 0.f, Lsum = 0.f;
    if (M != -INFINITY) {
#pragma unroll
      for (int w = 0; w < kWarps; ++w) {
        const float weight = exp2f(mergeM[w * kTcRows + r] - M);
        O += weight * mergeO[(w * kTcRows + r) * D + d];
        Lsum += weight * mergeL[w * kTcRows + r];
      }
    }
    if (a.nChunks == 1) {
      outRow[(g * rep + r) * D + d] = fromF<T>(Lsum > 0.f ? O / Lsum : 0.f);
    } else {
      const int64_t at = (b * a.Hq + g * rep + r) * a.nChunks + c;
      po[at * D + d] = O;
      if (d == 0) {
        pm[at] = M == -INFINITY ? -INFINITY : M * kLn2;  // the merge weighs chunks by e^{m − M}
        pl[at] = Lsum;
      }
    }
  }
  if (a.nChunks == 1) return;
  mergeChunks<T, D / 32>(outRow, pm, pl, po, tickets, b, g, a);
}

}  // namespace

size_t attnDecodeStepSharedBytes(int64_t Hq, int64_t Hkv, int64_t Dh) {
  const int64_t rep = Hq / Hkv;
  return static_cast<size_t>(rep * Dh + 2 * kTile * (Dh + 1) + 3 * Dh) * sizeof(float);
}

void launchAttentionDecodeStep(Ctx& ctx, int dtype, void* out, void* keys, void* values, const void* qkv,
                               const int32_t* positions, const int32_t* slots, bool sharedSlot, const int32_t* qSeq,
                               const int32_t* kSeq, const float* invFreq, unsigned* tickets, const void* prefix,
                               int64_t B, int64_t L, int64_t Hq, int64_t Hkv, int64_t Dh, float scale,
                               const AttnDecodeStepLayout& layout) {
  if (B == 0 || Hq == 0) return;
  if (L < 1 || Hkv < 1 || Hq % Hkv != 0 || Hq / Hkv > kAttnDecodeStepMaxGroup || Dh < 2 || Dh % 2 != 0 ||
      Dh > kAttnMaxHeadDim)
    throw Error("AttentionDecodeStep: unsupported shape (Hq/Hkv ≤ 16, even Dh ≤ 256, L ≥ 1)");
  if (Hkv > 65535 || B > 65535) throw Error("AttentionDecodeStep: too many KV heads or rows for the grid");
  if (layout.qkvOffset < 0 || layout.qkvStride < layout.qkvOffset + (Hq + 2 * Hkv) * Dh)
    throw Error("AttentionDecodeStep: q|k|v at column " + std::to_string(layout.qkvOffset) +
                " do not fit rows of " + std::to_string(layout.qkvStride));
  // A width without a prefix leaves the row's first C columns to another kernel (ParallelMixersDecodeStep's SSM step).
  if (layout.prefixWidth < 0 || (prefix != nullptr && layout.prefixWidth == 0))
    throw Error("AttentionDecodeStep: a prefix needs its width");
  const int64_t groups = Hkv * B, tiles = (L + kTile - 1) / kTile;
  // The cache and its document ids are read before the PDL wait when the stream's previous kernel writes neither.
  const size_t es = dtypeSize(dtype), cacheBytes = static_cast<size_t>(B * L * Hkv * Dh) * es;
  const bool early = readableBeforeWait(ctx, keys, cacheBytes) && readableBeforeWait(ctx, values, cacheBytes) &&
                     readableBeforeWait(ctx, kSeq, static_cast<size_t>(B * L) * sizeof(int32_t));
  // Launches one kernel variant: `shared` bytes per block, chunks of whole groups of `tileMultiple` tiles.
  auto launch = [&](auto kernel, size_t shared, int64_t tileMultiple, auto typed) {
    using T = std::remove_pointer_t<decltype(typed)>;
    attn::prepareShared(kernel, shared, ctx);
    // Chunks: as many as ONE wave of resident blocks holds over chunks × KV heads × rows, at most kMaxChunks and
    // whole tiles each. A block is a chain of memory round trips at these sizes: a second wave would wait for the
    // whole chain of the first, while a block's further tiles are pipelined (their loads in flight during the
    // previous tile's arithmetic). The CUDA-core kernel at batch 1: one tile per block; batch 32 at 560 slots:
    // two. The tensor-core one spreads a chunk over its four warps: chunks of four tiles or a multiple.
    // The occupancy of this variant, queried once per device (a decode step launches this every layer; contexts on
    // worker threads may share the table, hence the lock).
    static std::mutex lock;
    static std::map<std::pair<int, const void*>, int> residentOf;
    int resident = 0;
    {
      const std::lock_guard<std::mutex> held(lock);
      const auto key = std::make_pair(ctx.device, reinterpret_cast<const void*>(kernel));
      auto found = residentOf.find(key);
      if (found == residentOf.end()) {
        check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, kThreads, shared),
              "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
        residentOf.emplace(key, resident);
      } else {
        resident = found->second;
      }
    }
    int64_t wanted = (static_cast<int64_t>(resident < 1 ? 1 : resident) * ctx.smCount) / groups;
    if (wanted > kMaxChunks) wanted = kMaxChunks;
    if (wanted < 1) wanted = 1;
    int64_t tilesPerChunk = (tiles + wanted - 1) / wanted;
    tilesPerChunk = (tilesPerChunk + tileMultiple - 1) / tileMultiple * tileMultiple;
    const int64_t nChunks = (tiles + tilesPerChunk - 1) / tilesPerChunk;
    const StepArgs a{B,       L,       Hq,      Hkv,     Dh,   scale, sharedSlot, early, tilesPerChunk,
                     nChunks, layout.qkvStride, layout.qkvOffset, layout.prefixWidth};
    // Partials only where the chunks are merged (a one-chunk launch writes its output directly).
    const int64_t partials = nChunks > 1 ? B * Hq * nChunks : 1;
    Scratch pm(*ctx.alloc, partials * sizeof(float));
    Scratch pl(*ctx.alloc, partials * sizeof(float));
    Scratch po(*ctx.alloc, partials * Dh * sizeof(float));
    const dim3 grid(static_cast<unsigned>(nChunks), static_cast<unsigned>(Hkv), static_cast<unsigned>(B));
    launchPdl(ctx, "AttentionDecodeStep", kernel, grid, dim3(kThreads), shared, static_cast<T*>(out),
              static_cast<T*>(keys), static_cast<T*>(values), static_cast<const T*>(qkv), positions, slots, qSeq, kSeq,
              invFreq, pm.as<float>(), pl.as<float>(), po.as<float>(), tickets, static_cast<const T*>(prefix), a);
    // What the launch writes (the call's only stream work), for the next PDL kernel's early reads.
    ctx.lastWrites.begin();
    ctx.lastWrites.add(out, static_cast<size_t>(B * (layout.prefixWidth + Hq * Dh)) * es);
    ctx.lastWrites.add(keys, cacheBytes);
    ctx.lastWrites.add(values, cacheBytes);
    ctx.lastWrites.add(tickets, static_cast<size_t>(B * Hkv) * sizeof(unsigned));
    ctx.lastWrites.add(pm.as<float>(), static_cast<size_t>(partials) * sizeof(float));
    ctx.lastWrites.add(pl.as<float>(), static_cast<size_t>(partials) * sizeof(float));
    ctx.lastWrites.add(po.as<float>(), static_cast<size_t>(partials * Dh) * sizeof(float));
  };
  // The tensor-core kernel for 16-bit caches with Dh 64 or 128 (FALCON_H1_CUDA_DECODE_ATTENTION=cuda-cores keeps
  // the other, for A/B runs); the CUDA-core kernel for everything else.
  static const bool tcAllowed = [] {
    const char* env = std::getenv("FALCON_H1_CUDA_DECODE_ATTENTION");
    return env == nullptr || std::string(env) != "cuda-cores";
  }();
  auto tcFits = [&](size_t bytes) { return tcAllowed && bytes <= ctx.maxSharedPerBlockOptin; };
  auto launchedTc = [&](auto typed) -> bool {  // (a generic lambda: f32 instantiates no tensor-core kernel)
    using T = std::remove_pointer_t<decltype(typed)>;
    if constexpr (std::is_same_v<T, float>) {
      return false;
    } else {
      if (Dh == 64 && tcFits(tcSharedBytes<64>())) {
        launch(attnDecodeStepTcKernel<T, 64>, tcSharedBytes<64>(), kWarps, typed);
        return true;
      }
      if (Dh == 128 && tcFits(tcSharedBytes<128>())) {
        launch(attnDecodeStepTcKernel<T, 128>, tcSharedBytes<128>(), kWarps, typed);
        return true;
      }
      return false;
    }
  };
  FH_DISPATCH_FLOAT(dtype, "AttentionDecodeStep", {
    if (launchedTc(static_cast<T*>(nullptr))) return;
    const size_t shared = attnDecodeStepSharedBytes(Hq, Hkv, Dh);
    FH_MPL_DISPATCH(Dh, {
      const int64_t perWarp = (Hq / Hkv + kWarps - 1) / kWarps;
      static_assert(kMaxRowsPerWarp == 4, "one variant per rows-per-warp count below");
      if (perWarp <= 1)
        launch(attnDecodeStepKernel<T, MPL, 1>, shared, 1, static_cast<T*>(nullptr));
      else if (perWarp <= 2)
        launch(attnDecodeStepKernel<T, MPL, 2>, shared, 1, static_cast<T*>(nullptr));
      else
        launch(attnDecodeStepKernel<T, MPL, 4>, shared, 1, static_cast<T*>(nullptr));
    });
  });
}

}  // namespace fh
