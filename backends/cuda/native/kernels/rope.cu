/*
 * rope.cu — rotary embedding. One thread per (token, frequency i < Dh/2), looping over the heads:
 *   angle = f32(pos · invFreq_i);  c = f32(cos angle), s = ±f32(sin angle)   (cos/sin in f64, then rounded)
 *   y[i] = x[i]·c − x[i+half]·s ;  y[i+half] = x[i+half]·c + x[i]·s           (f64 arithmetic, one rounding)
 * The angle and its cos/sin are pinned to f32 exactly as transformers computes them, so positions in the
 * thousands give the same rotation as the float64 oracle.
 */
#include <cmath>

#include "common.cuh"
#include "rope.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void ropeKernel(T* __restrict__ y, const T* __restrict__ x, const int32_t* __restrict__ positions,
                           const float* __restrict__ invFreq, int64_t BT, int64_t H, int64_t Dh, bool inverse) {
  const int64_t half = Dh / 2;
  const int64_t n = BT * half;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t bt = e / half, i = e - bt * half;
    const float angle = __fmul_rn(static_cast<float>(positions[bt]), invFreq[i]);
    const double c = static_cast<double>(static_cast<float>(cos(static_cast<double>(angle))));
    double s = static_cast<double>(static_cast<float>(sin(static_cast<double>(angle))));
    if (inverse) s = -s;
    for (int64_t h = 0; h < H; ++h) {
      const int64_t base = (bt * H + h) * Dh;
      const double x1 = toF<T>(x[base + i]), x2 = toF<T>(x[base + i + half]);
      y[base + i] = fromD<T>(x1 * c - x2 * s);
      y[base + i + half] = fromD<T>(x2 * c + x1 * s);
    }
  }
}

}  // namespace

void launchRope(Ctx& ctx, int dtype, void* y, const void* x, const int32_t* positions, const float* invFreq,
                int64_t BT, int64_t H, int64_t Dh, bool inverse) {
  const int64_t n = BT * (Dh / 2);
  if (n == 0 || H == 0) return;
  FH_DISPATCH_FLOAT(dtype, "Rope",
                    ropeKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(y), static_cast<const T*>(x), positions, invFreq, BT, H, Dh, inverse));
  checkLaunch("Rope");
}

}  // namespace fh
