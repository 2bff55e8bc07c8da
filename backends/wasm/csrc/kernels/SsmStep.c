/*
 * SsmStep: one decode step of the scan. state [B, H, P, N] (f32), x [B, H, P], dt [B, H], A [H], Bm, Cm [B, G, N], D [H]?
 *   state' = exp(dt·A)·state + dt · x ⊗ Bm ;  y = state'·Cm + D·x
 */
#include "../fh.h"

FH_EXPORT void SsmStep(float *y, float *newState, const float *state, const float *x, const float *dt, const float *A,
                       const float *Bm, const float *Cm, const float *D, int B, int H, int P, int G, int N, int rnd) {
  int per = H / G;
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < H; h++) {
      int g = h / per;
      float dtv = dt[b * H + h];
      float decay = (float)exp((double)dtv * A[h]);
      const float *Bv = Bm + ((long)b * G + g) * N, *Cv = Cm + ((long)b * G + g) * N;
      v128_t vd = wasm_f32x4_splat(decay);
      for (int p = 0; p < P; p++) {
        long row = ((long)b * H + h) * P + p;
        float xp = x[row], coef = dtv * xp;
        const float *s = state + row * N;
        float *o = newState + row * N;
        v128_t vc = wasm_f32x4_splat(coef), acc = wasm_f32x4_splat(0);
        int n = 0;
        for (; n + 4 <= N; n += 4) {
          v128_t v = wasm_f32x4_add(wasm_f32x4_mul(vd, wasm_v128_load(s + n)), wasm_f32x4_mul(vc, wasm_v128_load(Bv + n)));
          wasm_v128_store(o + n, v);
          acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, wasm_v128_load(Cv + n)));
        }
        float sum = fh_hsum(acc);
        for (; n < N; n++) {
          o[n] = decay * s[n] + coef * Bv[n];
          sum += o[n] * Cv[n];
        }
        y[row] = fh_round(sum + (D ? D[h] * xp : 0.0f), rnd);
      }
    }
  }
}
