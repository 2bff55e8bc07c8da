/* Max: y[o, r] = max_i x[o, i, r] over x viewed as [outer, n, inner], n ≥ 1; NaN propagates. f32 and i32. */
#include "../elementwise.h"

FH_EXPORT void Max(void *y, const void *x, int outer, int n, int inner, int dtype) {
  if (dtype == FH_I32) {
    int32_t *yi = (int32_t *)y;
    const int32_t *xi = (const int32_t *)x;
    for (int o = 0; o < outer; o++)
      for (int r = 0; r < inner; r++) {
        int32_t m = xi[(long)o * n * inner + r];
        for (int i = 1; i < n; i++) {
          int32_t v = xi[((long)o * n + i) * inner + r];
          m = v > m ? v : m;
        }
        yi[(long)o * inner + r] = m;
      }
    return;
  }
  float *yf = (float *)y;
  const float *xf = (const float *)x;
  for (int o = 0; o < outer; o++) {
    if (inner == 1) {
      const float *row = xf + (long)o * n;
      v128_t m4 = wasm_f32x4_splat(-INFINITY);
      int i = 0;
      for (; i + 4 <= n; i += 4) m4 = wasm_f32x4_max(m4, wasm_v128_load(row + i));
      float m = fh_hmax(m4);
      for (; i < n; i++) m = (m != m || row[i] != row[i]) ? m + row[i] : fmaxf(m, row[i]);
      yf[o] = m;
      continue;
    }
    float *ym = yf + (long)o * inner;
    memcpy(ym, xf + (long)o * n * inner, sizeof(float) * (size_t)inner);
    for (int i = 1; i < n; i++) {
      const float *row = xf + ((long)o * n + i) * inner;
      int r = 0;
      for (; r + 4 <= inner; r += 4) wasm_v128_store(ym + r, wasm_f32x4_max(wasm_v128_load(ym + r), wasm_v128_load(row + r)));
      for (; r < inner; r++) ym[r] = (ym[r] != ym[r] || row[r] != row[r]) ? ym[r] + row[r] : fmaxf(ym[r], row[r]);
    }
  }
  /* Max of stored values needs no rounding: every value is already representable in its dtype. */
}
