/*
 * CumSum: prefix sums along the middle axis of x viewed as [outer, n, inner], accumulated in f64 (floats) or
 * wrapping int32 (i32): inclusive y[i] = Σ_{j≤i} x[j]; `reverse` sums j ≥ i; `exclusive` leaves j = i out.
 */
#include "../elementwise.h"

FH_EXPORT void CumSum(void *y, const void *x, int outer, int n, int inner, int exclusive, int reverse, int dtype) {
  for (int o = 0; o < outer; o++) {
    for (int r = 0; r < inner; r++) {
      long base = (long)o * n * inner + r;
      if (dtype == FH_I32) {
        const int32_t *xi = (const int32_t *)x + base;
        int32_t *yi = (int32_t *)y + base;
        uint32_t acc = 0;
        for (int step = 0; step < n; step++) {
          long at = (long)(reverse ? n - 1 - step : step) * inner;
          if (exclusive) {
            yi[at] = (int32_t)acc;
            acc += (uint32_t)xi[at];
          } else {
            acc += (uint32_t)xi[at];
            yi[at] = (int32_t)acc;
          }
        }
      } else {
        const float *xf = (const float *)x + base;
        float *yf = (float *)y + base;
        double acc = 0;
        for (int step = 0; step < n; step++) {
          long at = (long)(reverse ? n - 1 - step : step) * inner;
          if (exclusive) {
            yf[at] = fh_round((float)acc, dtype);
            acc += xf[at];
          } else {
            acc += xf[at];
            yf[at] = fh_round((float)acc, dtype);
          }
        }
      }
    }
  }
}
