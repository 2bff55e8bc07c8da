/*
 * attn-decode-step-bench.cu — times the CUDA AttentionDecodeStep kernel alone (kernels/attention_decode_step.cu) at
 * the 0.5B's attention shapes (Hq 8, Hkv 2, Dh 64, bf16) and checks it against an f64 host reference, so a change
 * to the kernel can be measured in seconds on the GPU host without rebuilding the addon:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -I backends/cuda/native/src -I backends/cuda/native/kernels \
 *     tools/cuda/micro/attn-decode-step-bench.cu backends/cuda/native/kernels/attention_decode_step.cu \
 *     backends/cuda/native/src/allocator.cc -o /tmp/attn-decode-step-bench && /tmp/attn-decode-step-bench
 *
 * (Swap in another attention_decode_step.cu, e.g. an older commit's, to compare two versions of the kernel.)
 * Each case: a static cache of capacity L of which `live` slots belong to the row's document (the rest are empty
 * slots, another id), the new token at slot `live`. 200 launches are captured into one CUDA graph and replayed, as a
 * decode step replays them, so the time per launch excludes the host. Prints µs per launch and the largest error
 * of the output relative to the row's largest |value| (bf16 rounding of q, k, v and out: ~1e-2 at most).
 */
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <vector>

#include "allocator.h"
#include "attention_decode_step.cuh"
#include "fh.h"
#include "decode_micro_harness.h"

namespace {

constexpr int kLaunches = 200;

struct Case {
  int64_t B, L, live;
};

float bf(float v) { return __bfloat162float(__float2bfloat16(v)); }

/** out[b, h, :] of one decode step in f64, from the same bf16 inputs (RoPE as rope.cu: f32 angle, f32 cos/sin). */
std::vector<double> reference(const Case& c, int64_t Hq, int64_t Hkv, int64_t Dh, const std::vector<float>& keys,
                              const std::vector<float>& values, const std::vector<float>& qkv,
                              const std::vector<float>& invFreq, float scale) {
  const int64_t rep = Hq / Hkv, half = Dh / 2, width = (Hq + 2 * Hkv) * Dh;
  std::vector<double> out(c.B * Hq * Dh);
  auto rope = [&](const float* x, std::vector<double>& y, int32_t pos) {
    for (int64_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(pos) * invFreq[i];
      const double cs = static_cast<float>(std::cos(static_cast<double>(angle)));
      const double sn = static_cast<float>(std::sin(static_cast<double>(angle)));
      y[i] = bf(static_cast<float>(x[i] * cs - x[i + half] * sn));
      y[i + half] = bf(static_cast<float>(x[i + half] * cs + x[i] * sn));
    }
  };
  for (int64_t b = 0; b < c.B; ++b) {
    const float* row = qkv.data() + b * width;
    for (int64_t g = 0; g < Hkv; ++g) {
      std::vector<double> k(Dh), q(Dh);
      rope(row + (Hq + g) * Dh, k, static_cast<int32_t>(c.live));
      for (int64_t r = 0; r < rep; ++r) {
        const int64_t h = g * rep + r;
        rope(row + h * Dh, q, static_cast<int32_t>(c.live));
        std::vector<double> s(c.live + 1);
        double mx = -INFINITY;
        for (int64_t j = 0; j <= c.live; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < Dh; ++d)
            dot += q[d] * (j == c.live ? k[d] : keys[((b * c.L + j) * Hkv + g) * Dh + d]);
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& v : s) sum += (v = std::exp(v - mx));
        for (int64_t d = 0; d < Dh; ++d) {
          double acc = 0;
          for (int64_t j = 0; j <= c.live; ++j)
            acc += s[j] * (j == c.live ? row[(Hq + Hkv + g) * Dh + d] : values[((b * c.L + j) * Hkv + g) * Dh + d]);
          out[(b * Hq + h) * Dh + d] = acc / sum;
        }
      }
    }
  }
  return out;
}

std::vector<__nv_bfloat16> toBf16(const std::vector<float>& v) {
  std::vector<__nv_bfloat16> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = __float2bfloat16(v[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t Hq = 8, Hkv = 2, Dh = 64;
  const float scale = 1.f / std::sqrt(static_cast<float>(Dh));
  fh::Ctx ctx;
  fh::Allocator alloc(0);
  const cudaDeviceProp prop = micro::openContext(ctx, alloc);
  std::printf("%s, %d SMs: AttentionDecodeStep, Hq %lld, Hkv %lld, Dh %lld, bf16\n", prop.name, ctx.smCount,
              static_cast<long long>(Hq), static_cast<long long>(Hkv), static_cast<long long>(Dh));
  std::printf("%4s %6s %6s %12s %12s\n", "B", "L", "live", "us/launch", "max err");
  const Case cases[] = {{1, 528, 512}, {1, 560, 512}, {32, 528, 512}, {32, 560, 512},
                        {1, 2064, 2048}, {1, 8208, 8192}, {1, 32784, 32768}, {8, 4112, 4096}};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.f);
  // `attn-decode-step-bench B L live` runs that one case (e.g. under Nsight Compute), no argument every case.
  const Case one = argc == 4 ? Case{std::atoll(argv[1]), std::atoll(argv[2]), std::atoll(argv[3])} : Case{};
  for (const Case& c : argc == 4 ? std::vector<Case>{one} : std::vector<Case>(std::begin(cases), std::end(cases))) {
    const int64_t width = (Hq + 2 * Hkv) * Dh;
    std::vector<float> keys(c.B * c.L * Hkv * Dh), values(keys.size()), qkv(c.B * width), invFreq(Dh / 2);
    for (auto& v : keys) v = bf(normal(rng));
    for (auto& v : values) v = bf(normal(rng));
    for (auto& v : qkv) v = bf(normal(rng));
    for (int64_t i = 0; i < Dh / 2; ++i) invFreq[i] = static_cast<float>(std::pow(10000.0, -2.0 * i / Dh));
    std::vector<int32_t> positions(c.B, static_cast<int32_t>(c.live)), slots(1, static_cast<int32_t>(c.live));
    std::vector<int32_t> qSeq(c.B, 0), kSeq(c.B * c.L);
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t j = 0; j < c.L; ++j) kSeq[b * c.L + j] = j <= c.live ? 0 : -1;
    auto* dKeys = micro::upload(toBf16(keys));
    auto* dValues = micro::upload(toBf16(values));
    auto* dQkv = micro::upload(toBf16(qkv));
    auto* dOut = micro::upload(std::vector<__nv_bfloat16>(c.B * Hq * Dh));
    auto* dPos = micro::upload(positions);
    auto* dSlots = micro::upload(slots);
    auto* dQSeq = micro::upload(qSeq);
    auto* dKSeq = micro::upload(kSeq);
    auto* dInv = micro::upload(invFreq);
    auto* dTickets = micro::upload(std::vector<unsigned>(c.B * Hkv, 0u));
    auto launch = [&] {
      fh::launchAttentionDecodeStep(ctx, fh::BF16, dOut, dKeys, dValues, dQkv, dPos, dSlots, true, dQSeq, dKSeq,
                                    dInv, dTickets, nullptr, c.B, c.L, Hq, Hkv, Dh, scale,
                                    fh::AttnDecodeStepLayout{(Hq + 2 * Hkv) * Dh, 0, 0});
    };
    launch();
    fh::check(cudaStreamSynchronize(ctx.stream), "first launch");
    std::vector<__nv_bfloat16> got(c.B * Hq * Dh);
    fh::check(cudaMemcpy(got.data(), dOut, got.size() * 2, cudaMemcpyDeviceToHost), "readback");
    const std::vector<double> want = reference(c, Hq, Hkv, Dh, keys, values, qkv, invFreq, scale);
    double err = 0, top = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      top = std::max(top, std::fabs(want[i]));
      const double e = std::fabs(static_cast<double>(__bfloat162float(got[i])) - want[i]);
      err = std::isnan(e) ? INFINITY : std::max(err, e);
    }
    const float us = micro::microsecondsPerLaunch(ctx.stream, kLaunches, launch);
    std::printf("%4lld %6lld %6lld %12.2f %12.2e\n", static_cast<long long>(c.B), static_cast<long long>(c.L),
                static_cast<long long>(c.live), us, err / top);
    for (void* p : {static_cast<void*>(dKeys), static_cast<void*>(dValues), static_cast<void*>(dQkv),
                    static_cast<void*>(dOut), static_cast<void*>(dPos), static_cast<void*>(dSlots),
                    static_cast<void*>(dQSeq), static_cast<void*>(dKSeq), static_cast<void*>(dInv),
                    static_cast<void*>(dTickets)})
      cudaFree(p);
  }
  return 0;
}
