// nvcc -std=c++17 -O3 -arch=sm_90 -I backends/cuda/native/src -I backends/cuda/native/kernels \
//   tools/cuda/micro/persistent-chain-bench.cu -o /tmp/persistent-chain-bench
/*
 * persistent-chain-bench.cu — what a batch-1 decode step's chain of weight products can cost on this card, three
 * ways, before any of it is built into the addon: the 0.5B's four layer products (in_proj|qkv 1024 → 4120,
 * out|o 2048 → 1024, gate|up 1024 → 4096, down 2048 → 1024, bf16) for 36 layers with distinct weights (907 MB, so
 * every token streams them from HBM), each product reading the previous one's output:
 *   graph       one kernel per product (a warp per weight row, its loads before the PDL wait — mat_vec.cu's scheme),
 *               captured into a CUDA graph with Programmatic Dependent Launch;
 *   persistent  one cooperative kernel for the whole chain, a grid barrier between products; with a lookahead L > 0
 *               each block first asks the TMA unit to prefetch its rows of product i + L into L2
 *               (cp.async.bulk.prefetch.L2), so HBM streams while the chain waits on its barriers;
 *   barriers    the persistent kernel with no products: what its barriers alone cost.
 * Prints µs per token and per layer, and the weight bytes' rate against the copy bandwidth measured here.
 * Not a test: the products' values are not checked beyond being finite.
 */
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "decode_gemm.cuh"  // loadStreaming16: the weight load of the addon's decode products

using fh::loadStreaming16;

#define CK(x)                                                                           \
  do {                                                                                  \
    cudaError_t e = (x);                                                                \
    if (e != cudaSuccess) {                                                             \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); \
      std::exit(2);                                                                     \
    }                                                                                   \
  } while (0)

struct Op {
  const __nv_bfloat16* W;
  int N, K;
};
constexpr int kLayers = 36;
constexpr int kOpsPerToken = 4 * kLayers;
constexpr int kBuf = 4608;  // floats per activation buffer (≥ the widest N)
__constant__ Op dOps[kOpsPerToken];

__device__ __forceinline__ float dot8(const uint4& w, const float* x) {
  const uint32_t words[4] = {w.x, w.y, w.z, w.w};
  float s = 0.f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    s = fmaf(__uint_as_float(words[i] << 16), x[2 * i], s);
    s = fmaf(__uint_as_float(words[i] & 0xffff0000u), x[2 * i + 1], s);
  }
  return s;
}
__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// ------------------------------------------------------------------------------------------------ graph
__global__ void __launch_bounds__(128) gemvKernel(const __nv_bfloat16* W, const float* x, float* y, int N, int K) {
  const int lane = threadIdx.x & 31;
  const int n = blockIdx.x * 4 + (threadIdx.x >> 5);
  const int chunks = K / 8;
  uint4 w[8];
  const uint4* row = reinterpret_cast<const uint4*>(W + size_t(n < N ? n : 0) * K);
#pragma unroll
  for (int u = 0; u < 8; ++u) {
    const int idx = lane + 32 * u;
    w[u] = (n < N && idx < chunks) ? loadStreaming16(row + idx) : make_uint4(0, 0, 0, 0);
  }
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;");
  if (n >= N) return;
  float acc = 0.f;
#pragma unroll
  for (int u = 0; u < 8; ++u) {
    const int idx = lane + 32 * u;
    if (idx < chunks) {
      float xv[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) xv[e] = x[idx * 8 + e];
      acc += dot8(w[u], xv);
    }
  }
  acc = warpSum(acc);
  if (lane == 0) y[n] = acc * 0.5f;
}

// ------------------------------------------------------------------------------------------------ persistent
__device__ __forceinline__ void gridBarrier(unsigned* counter, unsigned target) {
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    atomicAdd(counter, 1u);
    unsigned v;
    do {
      asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(counter) : "memory");
    } while (v < target);
  }
  __syncthreads();
}

__device__ __forceinline__ void prefetchRows(const Op& op, int block, int blocks) {
  const long n0 = long(op.N) * block / blocks, n1 = long(op.N) * (block + 1) / blocks;
  if (n1 <= n0) return;
  const char* p = reinterpret_cast<const char*>(op.W + n0 * op.K);
  const unsigned bytes = unsigned((n1 - n0) * op.K * 2);
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bytes) : "memory");
}

template <int kThreads>
__global__ void __launch_bounds__(kThreads) persistentKernel(float* bufs, unsigned* counter, int tokens, int lookahead,
                                                             int doWork) {
  __shared__ float xs[2048];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  constexpr int kWarps = kThreads / 32;
  const int G = gridDim.x;
  const int total = tokens * kOpsPerToken;
  if (lookahead > 0 && tid == 0)
    for (int j = 0; j < lookahead && j < total; ++j) prefetchRows(dOps[j % kOpsPerToken], blockIdx.x, G);
  for (int i = 0; i < total; ++i) {
    if (lookahead > 0 && tid == 0 && i + lookahead < total)
      prefetchRows(dOps[(i + lookahead) % kOpsPerToken], blockIdx.x, G);
    if (doWork) {
      const Op op = dOps[i % kOpsPerToken];
      const float* x = bufs + (i & 1) * kBuf;
      float* y = bufs + ((i + 1) & 1) * kBuf;
      for (int k = tid; k < op.K; k += kThreads) xs[k] = __ldcg(x + k);
      __syncthreads();
      const int n0 = int(long(op.N) * blockIdx.x / G), n1 = int(long(op.N) * (blockIdx.x + 1) / G);
      const int chunks = op.K / 8;
      for (int n = n0 + warp; n < n1; n += kWarps) {
        const uint4* row = reinterpret_cast<const uint4*>(op.W + size_t(n) * op.K);
        uint4 w[8];
#pragma unroll
        for (int u = 0; u < 8; ++u) {
          const int idx = lane + 32 * u;
          w[u] = idx < chunks ? loadStreaming16(row + idx) : make_uint4(0, 0, 0, 0);
        }
        float acc = 0.f;
#pragma unroll
        for (int u = 0; u < 8; ++u) {
          const int idx = lane + 32 * u;
          if (idx < chunks) acc += dot8(w[u], xs + idx * 8);
        }
        acc = warpSum(acc);
        if (lane == 0) y[n] = acc * 0.5f;
      }
    }
    gridBarrier(counter, unsigned(i + 1) * unsigned(G));
  }
}


/**
 * The persistent chain with each warp's weight rows of the NEXT product loaded into registers before the barrier
 * (what PDL's early loads do across kernels, here across a grid barrier): after the barrier only the activations'
 * L2 round trip and the arithmetic are left on the chain. A warp owns rows warp, warp + W (W = all warps) of a
 * product: 8 16-byte slots per lane hold 2 rows of K = 1024 or one of K = 2048.
 */
template <int kThreads, bool kLoads = true, bool kCompute = true>
__global__ void __launch_bounds__(kThreads, 1) aheadKernel(float* bufs, unsigned* counter, int tokens) {
  __shared__ float xs[2048];
  const int tid = threadIdx.x, lane = tid & 31;
  constexpr int kWarps = kThreads / 32;
  const int G = gridDim.x, W = G * kWarps;
  const int gw = blockIdx.x * kWarps + (tid >> 5);
  const int total = tokens * kOpsPerToken;
  uint4 w[8];
  auto load = [&](const Op& op) {
    const int per = op.K / 256;  // 16-byte chunks per lane and row: 4 or 8
#pragma unroll
    for (int s = 0; s < 8; ++s) {
      const int j = s / per, u = s % per;  // (per is 4 or 8: compile-time-friendly division by a small value)
      const int n = gw + j * W;
      w[s] = kLoads && n < op.N ? loadStreaming16(reinterpret_cast<const uint4*>(op.W + size_t(n) * op.K) + lane + 32 * u)
                      : make_uint4(0, 0, 0, 0);
    }
  };
  load(dOps[0]);
  for (int i = 0; i < total; ++i) {
    const Op op = dOps[i % kOpsPerToken];
    const float* x = bufs + (i & 1) * kBuf;
    float* y = bufs + ((i + 1) & 1) * kBuf;
    if (kCompute) {
      for (int k = tid; k < op.K; k += kThreads) xs[k] = __ldcg(x + k);
      __syncthreads();
    }
    const int per = op.K / 256;
    float acc[2] = {0.f, 0.f};
#pragma unroll
    for (int s = 0; s < 8; ++s) {
      const int j = s / per, u = s % per;
      if (kCompute) acc[j > 0] += dot8(w[s], xs + (lane + 32 * u) * 8);
      else acc[j > 0] += __uint_as_float(w[s].x);
    }
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const float v = warpSum(acc[j]);
      const int n = gw + j * W;
      if (lane == 0 && n < op.N && j < 8 / per) y[n] = v * 0.5f;
    }
    // Split barrier: arrive (the fence orders this product's stores; it would also wait for loads in flight, so
    // the next rows' loads are issued after it), load, then wait.
    __syncthreads();
    if (tid == 0) {
      __threadfence();
      atomicAdd(counter, 1u);
    }
    if (i + 1 < total) load(dOps[(i + 1) % kOpsPerToken]);
    if (tid == 0) {
      unsigned v;
      do {
        asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(counter) : "memory");
      } while (v < unsigned(i + 1) * unsigned(G));
    }
    __syncthreads();
  }
}

__global__ void initKernel(__nv_bfloat16* w, size_t n, unsigned seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    unsigned h = unsigned(i) * 2654435761u ^ seed;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    w[i] = __float2bfloat16((float(h & 0xffff) / 65536.f - 0.5f) * 0.06f);
  }
}

static float timeMs(cudaStream_t s, const std::function<void()>& f, int reps) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  f();
  CK(cudaStreamSynchronize(s));
  float best = 1e30f;
  for (int r = 0; r < reps; ++r) {
    CK(cudaEventRecord(a, s));
    f();
    CK(cudaEventRecord(b, s));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    best = ms < best ? ms : best;
  }
  return best;
}

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  const int sms = prop.multiProcessorCount;
  const int shapes[4][2] = {{4120, 1024}, {1024, 2048}, {4096, 1024}, {1024, 2048}};
  size_t perLayer = 0;
  for (auto& s : shapes) perLayer += size_t(s[0]) * s[1];
  const size_t elems = perLayer * kLayers;
  __nv_bfloat16* W;
  CK(cudaMalloc(&W, elems * 2));
  initKernel<<<4 * sms, 256>>>(W, elems, 1234u);
  std::vector<Op> ops;
  size_t off = 0;
  for (int l = 0; l < kLayers; ++l)
    for (auto& s : shapes) {
      ops.push_back(Op{W + off, s[0], s[1]});
      off += size_t(s[0]) * s[1];
    }
  CK(cudaMemcpyToSymbol(dOps, ops.data(), sizeof(Op) * ops.size()));
  float* bufs;
  CK(cudaMalloc(&bufs, 2 * kBuf * sizeof(float)));
  std::vector<float> x0(2 * kBuf, 0.01f);
  CK(cudaMemcpy(bufs, x0.data(), x0.size() * sizeof(float), cudaMemcpyHostToDevice));
  unsigned* counter;
  CK(cudaMalloc(&counter, 4));
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const double bytes = double(elems) * 2;

  // Copy bandwidth (a 1 GiB device-to-device copy, counted read + write).
  void *c0, *c1;
  const size_t cb = size_t(1) << 30;
  CK(cudaMalloc(&c0, cb));
  CK(cudaMalloc(&c1, cb));
  const float copyMs = timeMs(s, [&] { CK(cudaMemcpyAsync(c1, c0, cb, cudaMemcpyDeviceToDevice, s)); }, 5);
  const double copyGBs = 2.0 * cb / (copyMs * 1e-3) / 1e9;
  CK(cudaFree(c0));
  CK(cudaFree(c1));
  std::printf("# %s, %d SMs; copy %.0f GB/s; weights %.1f MB per token (%d products); streaming limit %.1f us\n",
              prop.name, sms, copyGBs, bytes / 1e6, kOpsPerToken, bytes / copyGBs / 1e3);
  auto report = [&](const char* what, double usPerToken) {
    std::printf("%-44s %8.1f us/token %6.2f us/layer %6.0f GB/s %5.1f %% of copy\n", what, usPerToken,
                usPerToken / kLayers, bytes / (usPerToken * 1e-6) / 1e9, 100.0 * bytes / (usPerToken * 1e3) / copyGBs);
  };

  // graph: 144 PDL launches per token, 4 tokens per graph.
  {
    const int tokens = 4;
    cudaGraph_t g;
    CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
    for (int i = 0; i < tokens * kOpsPerToken; ++i) {
      const Op& op = ops[i % kOpsPerToken];
      cudaLaunchConfig_t cfg = {};
      cfg.gridDim = dim3((op.N + 3) / 4);
      cfg.blockDim = dim3(128);
      cfg.stream = s;
      cudaLaunchAttribute attr;
      attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
      attr.val.programmaticStreamSerializationAllowed = 1;
      cfg.attrs = &attr;
      cfg.numAttrs = 1;
      CK(cudaLaunchKernelEx(&cfg, gemvKernel, op.W, (const float*)(bufs + (i & 1) * kBuf),
                            bufs + ((i + 1) & 1) * kBuf, op.N, op.K));
    }
    CK(cudaStreamEndCapture(s, &g));
    cudaGraphExec_t ge;
    CK(cudaGraphInstantiate(&ge, g, 0));
    const float ms = timeMs(s, [&] { CK(cudaGraphLaunch(ge, s)); }, 10);
    report("graph: one PDL kernel per product", ms * 1e3 / tokens);
  }

  // persistent: one cooperative launch of T tokens.
  auto persistent = [&](auto kernel, int threads, int perSm, int lookahead, int doWork, const char* label) {
    int fit = 0;
    CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&fit, kernel, threads, 0));
    if (fit < perSm) {
      std::printf("%-44s (only %d blocks of %d threads fit per SM)\n", label, fit, threads);
      return;
    }
    const int tokens = 8;
    int blocks = perSm * sms, tk = tokens, la = lookahead, dw = doWork;
    void* args[] = {&bufs, &counter, &tk, &la, &dw};
    const float ms = timeMs(
        s,
        [&] {
          CK(cudaMemsetAsync(counter, 0, 4, s));
          CK(cudaLaunchCooperativeKernel((void*)kernel, dim3(blocks), dim3(threads), args, 0, s));
        },
        5);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s (%d x %d thr, lookahead %d)", label, blocks, threads, lookahead);
    report(buf, ms * 1e3 / tokens);
  };
  for (int perSm : {1, 2}) {
    persistent(persistentKernel<512>, 512, perSm, 0, 0, "barriers only");
    persistent(persistentKernel<512>, 512, perSm, 0, 1, "persistent");
    persistent(persistentKernel<512>, 512, perSm, 1, 1, "persistent + L2 prefetch");
    persistent(persistentKernel<512>, 512, perSm, 2, 1, "persistent + L2 prefetch");
    persistent(persistentKernel<512>, 512, perSm, 4, 1, "persistent + L2 prefetch");
  }
  {
    const int tokens = 8;
    int blocks = sms, tk = tokens;
    void* args[] = {&bufs, &counter, &tk};
    auto ahead = [&](void* kernel, const char* label) {
      const float ms = timeMs(
          s,
          [&] {
            CK(cudaMemsetAsync(counter, 0, 4, s));
            CK(cudaLaunchCooperativeKernel(kernel, dim3(blocks), dim3(1024), args, 0, s));
          },
          5);
      report(label, ms * 1e3 / tokens);
    };
    ahead((void*)aheadKernel<1024>, "persistent, next rows in registers (132 x 1024)");
    ahead((void*)aheadKernel<1024, true, false>, "  the same, loads + barrier only");
    ahead((void*)aheadKernel<1024, false, true>, "  the same, x + arithmetic + barrier only");
  }
  persistent(persistentKernel<1024>, 1024, 1, 0, 1, "persistent");
  persistent(persistentKernel<1024>, 1024, 1, 2, 1, "persistent + L2 prefetch");
  std::vector<float> y(kBuf);
  CK(cudaMemcpy(y.data(), bufs, kBuf * sizeof(float), cudaMemcpyDeviceToHost));
  bool finite = true;
  for (float v : y) finite = finite && std::isfinite(v);
  std::printf("# outputs finite: %s\n", finite ? "yes" : "NO");
  return finite ? 0 : 1;
}
