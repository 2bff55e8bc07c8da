// skinny-gemm-bench.cu — times backends/cuda/native/kernels/skinny_gemm.cu (the tensor-core decode GEMM) against
// cuBLASLt on the Falcon-H1 0.5B Linear shapes, C[M, N] = A[M, K] · B[N, K]ᵀ in bf16 (or f16) with f32 accumulation.
//
// Build and run, from the repository root on the GPU host (add -I<dir of cublasLt.h> -L<dir of libcublasLt> when
// cuBLASLt is not under CUDA_HOME; tools/cuda/micro/README.md has a line that finds them):
//   nvcc -std=c++17 -O3 -arch=sm_90 -I backends/cuda/native/kernels tools/cuda/micro/skinny-gemm-bench.cu \
//     -o /tmp/skinny-gemm-bench -lcublasLt && /tmp/skinny-gemm-bench [bf16|f16] [launches]
//
// How it measures: each variant's `launches` (default 200) calls are captured in one CUDA graph (launch overhead is
// excluded, as in the decode graphs) and the graph is replayed 5 times; the best replay / launches is the µs per call.
// Successive calls cycle through enough copies of B (≥ 2 × L2) that the weight streams from HBM as it does in a
// decode step (975 MB of weights per step), never from L2. GB/s = weight bytes / time. cuBLASLt runs as mat_mul.cu
// calls it (Cᵀ = B·Aᵀ column-major, CUBLAS_COMPUTE_32F, 32 MB workspace): "lt top1" is the heuristic's first algo
// (what the addon uses), "lt best" the fastest of its first 8. "rel err" = max |C − C_lt| / max |C_lt| and
// "err64" = the same against an f64 host reference on a sample of columns, for the kernel (and cuBLASLt in brackets).
// "tc RT=1" / "tc RT=2" force 16- and 32-row weight tiles ("auto" is what the addon picks; M > 32 always uses 16).
// Then the gate|up product with SwiGLU as its epilogue (AddRmsNormSwiGluMlp's) against the plain product.
#include <cublasLt.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "skinny_gemm.cu"

namespace {

void cudaOk(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}
void ltOk(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "%s: cuBLASLt status %d\n", what, static_cast<int>(s));
    std::exit(1);
  }
}
#define CUDA_OK(call) cudaOk((call), #call)
#define LT_OK(call) ltOk((call), #call)

struct Shape {
  const char* name;
  int64_t K, N;
};

// The 0.5B model's decode products (K → N), as its inference constants merge them: in_proj with q|k|v, the mixers'
// out-projections, gate|up packed, down, and lm_head.
const Shape kShapes[] = {
    {"in_proj|qkv", 1024, 4120}, {"out|o_proj", 2048, 1024}, {"gate|up", 1024, 4096},
    {"down", 2048, 1024},        {"lm_head", 1024, 32784},
};
const int64_t kTokens[] = {1, 8, 16, 32, 64};

uint16_t toBits(float v, bool bf16) {
  if (bf16) {
    const __nv_bfloat16 h = __float2bfloat16_rn(v);
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    return bits;
  }
  const __half h = __float2half_rn(v);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}
float fromBits(uint16_t bits, bool bf16) {
  if (bf16) {
    __nv_bfloat16 h;
    std::memcpy(&h, &bits, 2);
    return __bfloat162float(h);
  }
  __half h;
  std::memcpy(&h, &bits, 2);
  return __half2float(h);
}

/** Best µs per call of `body(i)` for i = 0..launches-1, captured in one graph and replayed. */
template <typename Body>
double timeGraph(cudaStream_t stream, int launches, Body body) {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CUDA_OK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  for (int i = 0; i < launches; ++i) body(i);
  CUDA_OK(cudaStreamEndCapture(stream, &graph));
  CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_OK(cudaGraphLaunch(exec, stream));  // warm-up
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  float best = 1e30f;
  for (int r = 0; r < 5; ++r) {
    CUDA_OK(cudaEventRecord(start, stream));
    CUDA_OK(cudaGraphLaunch(exec, stream));
    CUDA_OK(cudaEventRecord(stop, stream));
    CUDA_OK(cudaEventSynchronize(stop));
    float ms = 0.f;
    CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
    best = std::min(best, ms);
  }
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
  CUDA_OK(cudaGraphExecDestroy(exec));
  CUDA_OK(cudaGraphDestroy(graph));
  return 1000.0 * best / launches;
}

struct LtPlan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> algos;
};

LtPlan planLt(cublasLtHandle_t lt, cudaDataType_t type, int64_t M, int64_t N, int64_t K, size_t workspace) {
  LtPlan p;
  LT_OK(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
  LT_OK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &opT, sizeof(opT)));
  LT_OK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &opN, sizeof(opN)));
  LT_OK(cublasLtMatrixLayoutCreate(&p.la, type, K, N, K));  // our B [N, K] row-major = K×N column-major, transposed
  LT_OK(cublasLtMatrixLayoutCreate(&p.lb, type, K, M, K));  // our A [M, K]
  LT_OK(cublasLtMatrixLayoutCreate(&p.lc, type, N, M, N));  // our C [M, N]
  cublasLtMatmulPreference_t pref;
  LT_OK(cublasLtMatmulPreferenceCreate(&pref));
  uint64_t ws = workspace;
  LT_OK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  p.algos.resize(8);
  int returned = 0;
  LT_OK(cublasLtMatmulAlgoGetHeuristic(lt, p.op, p.la, p.lb, p.lc, p.lc, pref, 8, p.algos.data(), &returned));
  p.algos.resize(returned);
  auto unusable = [](const cublasLtMatmulHeuristicResult_t& r) { return r.state != CUBLAS_STATUS_SUCCESS; };
  p.algos.erase(std::remove_if(p.algos.begin(), p.algos.end(), unusable), p.algos.end());
  cublasLtMatmulPreferenceDestroy(pref);
  if (p.algos.empty()) {
    std::fprintf(stderr, "cuBLASLt offers no algorithm for M=%lld N=%lld K=%lld\n", static_cast<long long>(M),
                 static_cast<long long>(N), static_cast<long long>(K));
    std::exit(1);
  }
  return p;
}

void destroyLt(LtPlan& p) {
  cublasLtMatrixLayoutDestroy(p.la);
  cublasLtMatrixLayoutDestroy(p.lb);
  cublasLtMatrixLayoutDestroy(p.lc);
  cublasLtMatmulDescDestroy(p.op);
}

/** max |x − ref| / max |ref|: the largest error relative to the output's scale. */
double relErr(const std::vector<double>& x, const std::vector<double>& ref) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::fabs(x[i] - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace

/**
 * AddRmsNormSwiGluMlp's gate|up product with SwiGLU as its epilogue (launchSkinnyGemmSwiGlu: act [M, I]) against the
 * plain product of the same packed weight (launchSkinnyGemm: [M, 2I], which SwiGluPacked then read in a separate
 * launch): µs per call, and the activation against SwiGLU of the plain product computed on the host in f64 from its
 * rounded values (the GPU vitest asserts the bits; here exp on the host differs from the device's in the last place).
 */
void benchSwiGluEpilogue(cudaStream_t stream, const cudaDeviceProp& prop, bool bf16, int dtype, int launches,
                         std::mt19937& rng) {
  const int64_t K = 1024, I = 2048, N = 2 * I;
  const float m = 0.883883f;
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  const size_t weightBytes = static_cast<size_t>(N * K) * 2;
  const size_t copies = std::max<size_t>(2, (2 * static_cast<size_t>(prop.l2CacheSize) + weightBytes - 1) / weightBytes);
  std::vector<uint16_t> hostB(static_cast<size_t>(N * K));
  for (auto& v : hostB) v = toBits(uni(rng) * 0.25f, bf16);
  char* devB;
  CUDA_OK(cudaMalloc(&devB, weightBytes * copies));
  for (size_t c = 0; c < copies; ++c)
    CUDA_OK(cudaMemcpy(devB + c * weightBytes, hostB.data(), weightBytes, cudaMemcpyHostToDevice));
  auto weight = [&](int i) { return devB + (static_cast<size_t>(i) % copies) * weightBytes; };
  std::printf("\ngate|up (K %lld → 2I %lld) with SwiGLU as the epilogue vs the plain product\n%3s | %8s %8s | %9s\n",
              static_cast<long long>(K), static_cast<long long>(N), "M", "plain", "SwiGLU", "rel err");
  for (int64_t M : {1, 8, 16, 32}) {
    std::vector<uint16_t> hostA(static_cast<size_t>(M * K));
    for (auto& v : hostA) v = toBits(uni(rng), bf16);
    void *devA, *devC, *devAct;
    CUDA_OK(cudaMalloc(&devA, hostA.size() * 2));
    CUDA_OK(cudaMalloc(&devC, static_cast<size_t>(M * N) * 2));
    CUDA_OK(cudaMalloc(&devAct, static_cast<size_t>(M * I) * 2));
    CUDA_OK(cudaMemcpy(devA, hostA.data(), hostA.size() * 2, cudaMemcpyHostToDevice));
    const double plain = timeGraph(stream, launches, [&](int i) {
      fh::launchSkinnyGemm(stream, prop.multiProcessorCount, dtype, M, N, K, devC, devA, weight(i), 0);
    });
    const double glu = timeGraph(stream, launches, [&](int i) {
      fh::launchSkinnyGemmSwiGlu(stream, dtype, M, I, K, devAct, devA, weight(i), m);
    });
    CUDA_OK(cudaGetLastError());
    std::vector<uint16_t> gateUp(static_cast<size_t>(M * N)), act(static_cast<size_t>(M * I));
    CUDA_OK(cudaMemcpy(gateUp.data(), devC, gateUp.size() * 2, cudaMemcpyDeviceToHost));
    CUDA_OK(cudaMemcpy(act.data(), devAct, act.size() * 2, cudaMemcpyDeviceToHost));
    std::vector<double> got(act.size()), want(act.size());
    for (int64_t r = 0; r < M; ++r) {
      for (int64_t c = 0; c < I; ++c) {
        const double g = fromBits(gateUp[r * N + c], bf16) * m, u = fromBits(gateUp[r * N + I + c], bf16);
        want[r * I + c] = u * g / (1 + std::exp(-g));
        got[r * I + c] = fromBits(act[r * I + c], bf16);
      }
    }
    std::printf("%3lld | %8.2f %8.2f | %9.2e\n", static_cast<long long>(M), plain, glu, relErr(got, want));
    CUDA_OK(cudaFree(devA));
    CUDA_OK(cudaFree(devC));
    CUDA_OK(cudaFree(devAct));
  }
  CUDA_OK(cudaFree(devB));
}

int main(int argc, char** argv) {
  const bool bf16 = argc < 2 || std::string(argv[1]) != "f16";
  const int launches = argc >= 3 ? std::max(1, std::atoi(argv[2])) : 200;
  const int dtype = bf16 ? fh::BF16 : fh::F16;
  const cudaDataType_t type = bf16 ? CUDA_R_16BF : CUDA_R_16F;

  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s, %d SMs, L2 %d MB; %s, %d calls per graph, best of 5 replays\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize >> 20, bf16 ? "bf16" : "f16", launches);
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cublasLtHandle_t lt;
  LT_OK(cublasLtCreate(&lt));
  const size_t workspaceBytes = size_t(32) << 20;
  void* workspace;
  CUDA_OK(cudaMalloc(&workspace, workspaceBytes));

  std::printf("%-11s %5s %5s %3s | %8s %8s | %8s %8s %8s | %7s %7s | %6s | %9s %21s\n", "layer", "K", "N", "M",
              "lt top1", "lt best", "tc auto", "tc RT=1", "tc RT=2", "GB/s tc", "GB/s lt", "x best", "rel err",
              "err64 tc [lt]");
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  for (const Shape& s : kShapes) {
    const int64_t K = s.K, N = s.N;
    const size_t weightBytes = static_cast<size_t>(N * K) * 2;
    // Copies of B so the weight comes from HBM: together at least twice the L2.
    const size_t l2 = static_cast<size_t>(prop.l2CacheSize);
    const size_t copies = std::max<size_t>(2, (2 * l2 + weightBytes - 1) / weightBytes);
    std::vector<uint16_t> hostB(static_cast<size_t>(N * K));
    for (auto& v : hostB) v = toBits(uni(rng) * 0.25f, bf16);
    std::vector<double> refB(hostB.size());
    for (size_t i = 0; i < hostB.size(); ++i) refB[i] = fromBits(hostB[i], bf16);
    char* devB;
    CUDA_OK(cudaMalloc(&devB, weightBytes * copies));
    for (size_t c = 0; c < copies; ++c)
      CUDA_OK(cudaMemcpy(devB + c * weightBytes, hostB.data(), weightBytes, cudaMemcpyHostToDevice));
    for (int64_t M : kTokens) {
      std::vector<uint16_t> hostA(static_cast<size_t>(M * K));
      for (auto& v : hostA) v = toBits(uni(rng), bf16);
      std::vector<double> refA(hostA.size());
      for (size_t i = 0; i < hostA.size(); ++i) refA[i] = fromBits(hostA[i], bf16);
      void *devA, *devC, *devCLt;
      CUDA_OK(cudaMalloc(&devA, hostA.size() * 2));
      CUDA_OK(cudaMalloc(&devC, static_cast<size_t>(M * N) * 2));
      CUDA_OK(cudaMalloc(&devCLt, static_cast<size_t>(M * N) * 2));
      CUDA_OK(cudaMemcpy(devA, hostA.data(), hostA.size() * 2, cudaMemcpyHostToDevice));
      auto weight = [&](int i) { return devB + (static_cast<size_t>(i) % copies) * weightBytes; };

      LtPlan plan = planLt(lt, type, M, N, K, workspaceBytes);
      const float alpha = 1.f, beta = 0.f;
      auto ltCall = [&](int i, const cublasLtMatmulAlgo_t* algo, size_t ws) {
        LT_OK(cublasLtMatmul(lt, plan.op, &alpha, weight(i), plan.la, devA, plan.lb, &beta, devCLt, plan.lc, devCLt,
                             plan.lc, algo, workspace, ws, stream));
      };
      double ltTop1 = 0, ltBest = 1e30;
      size_t bestAlgo = 0;
      for (size_t a = 0; a < plan.algos.size(); ++a) {
        const double us = timeGraph(stream, launches,
                                    [&](int i) { ltCall(i, &plan.algos[a].algo, plan.algos[a].workspaceSize); });
        if (a == 0) ltTop1 = us;
        if (us < ltBest) {
          ltBest = us;
          bestAlgo = a;
        }
      }
      double tc[3];
      for (int rowTiles = 0; rowTiles < 3; ++rowTiles) {
        tc[rowTiles] = timeGraph(stream, launches, [&](int i) {
          fh::launchSkinnyGemm(stream, prop.multiProcessorCount, dtype, M, N, K, devC, devA, weight(i), rowTiles);
        });
      }
      CUDA_OK(cudaGetLastError());

      // Results of one call each, from the same copy of B.
      ltCall(0, &plan.algos[bestAlgo].algo, plan.algos[bestAlgo].workspaceSize);
      fh::launchSkinnyGemm(stream, prop.multiProcessorCount, dtype, M, N, K, devC, devA, weight(0), 0);
      CUDA_OK(cudaStreamSynchronize(stream));
      std::vector<uint16_t> outTc(static_cast<size_t>(M * N)), outLt(outTc.size());
      CUDA_OK(cudaMemcpy(outTc.data(), devC, outTc.size() * 2, cudaMemcpyDeviceToHost));
      CUDA_OK(cudaMemcpy(outLt.data(), devCLt, outLt.size() * 2, cudaMemcpyDeviceToHost));
      std::vector<double> tcAll(outTc.size()), ltAll(outLt.size());
      for (size_t i = 0; i < outTc.size(); ++i) {
        tcAll[i] = fromBits(outTc[i], bf16);
        ltAll[i] = fromBits(outLt[i], bf16);
      }
      // f64 reference on every 7th column (and the last), from the rounded inputs.
      std::vector<int64_t> columns;
      for (int64_t n = 0; n < N; n += 7) columns.push_back(n);
      if (columns.back() != N - 1) columns.push_back(N - 1);
      std::vector<double> tcS, ltS, refS;
      for (int64_t n : columns) {
        for (int64_t m = 0; m < M; ++m) {
          double acc = 0;
          for (int64_t k = 0; k < K; ++k) acc += refA[m * K + k] * refB[n * K + k];
          refS.push_back(acc);
          tcS.push_back(tcAll[m * N + n]);
          ltS.push_back(ltAll[m * N + n]);
        }
      }
      char err64[64];
      std::snprintf(err64, sizeof(err64), "%.2e [%.2e]", relErr(tcS, refS), relErr(ltS, refS));
      const double best = std::min({tc[0], tc[1], tc[2]});
      std::printf("%-11s %5lld %5lld %3lld | %8.2f %8.2f | %8.2f %8.2f %8.2f | %7.0f %7.0f | %6.2f | %9.2e %21s\n",
                  s.name, static_cast<long long>(K), static_cast<long long>(N), static_cast<long long>(M), ltTop1,
                  ltBest, tc[0], tc[1], tc[2], weightBytes / (tc[0] * 1e3), weightBytes / (ltTop1 * 1e3),
                  ltBest / best, relErr(tcAll, ltAll), err64);
      std::fflush(stdout);
      destroyLt(plan);
      CUDA_OK(cudaFree(devA));
      CUDA_OK(cudaFree(devC));
      CUDA_OK(cudaFree(devCLt));
    }
    CUDA_OK(cudaFree(devB));
  }
  benchSwiGluEpilogue(stream, prop, bf16, dtype, launches, rng);
  CUDA_OK(cudaFree(workspace));
  cublasLtDestroy(lt);
  CUDA_OK(cudaStreamDestroy(stream));
  return 0;
}
