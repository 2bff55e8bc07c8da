/* ArgMax: y[o, r] (i32) = index of the first maximum of x[o, :, r]; a NaN counts as the maximum (the first wins). */
#include "../elementwise.h"

FH_EXPORT void ArgMax(int32_t *y, const void *x, int outer, int n, int inner, int dtype) {
  for (int o = 0; o < outer; o++) {
    for (int r = 0; r < inner; r++) {
      int best_index = 0;
      if (dtype == FH_I32) {
        const int32_t *xi = (const int32_t *)x + (long)o * n * inner + r;
        int32_t best = xi[0];
        for (int i = 1; i < n; i++)
          if (xi[(long)i * inner] > best) best = xi[(long)i * inner], best_index = i;
      } else {
        const float *xf = (const float *)x + (long)o * n * inner + r;
        float best = xf[0];
        for (int i = 1; i < n && best == best; i++) {
          float v = xf[(long)i * inner];
          if (v > best || v != v) best = v, best_index = i;
        }
      }
      y[(long)o * inner + r] = best_index;
    }
  }
}
