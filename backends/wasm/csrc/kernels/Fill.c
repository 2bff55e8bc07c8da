/* Fill: n elements of `value` rounded to the dtype (floats: to f32, then to bf16/f16; ints: truncated and wrapped). */
#include "../fh.h"

FH_EXPORT void Fill(void *y, int n, double value, int dtype) {
  if (dtype <= FH_F16) {
    float v = fh_round((float)value, dtype);
    float *yf = (float *)y;
    for (int i = 0; i < n; i++) yf[i] = v;
    return;
  }
  uint32_t u = 0;
  if (isfinite(value)) {
    double m = fmod(trunc(value), 4294967296.0);
    if (m < 0) m += 4294967296.0;
    u = (uint32_t)m;
  }
  if (dtype == FH_I32) {
    int32_t *yi = (int32_t *)y;
    for (int i = 0; i < n; i++) yi[i] = (int32_t)u;
  } else {
    memset(y, (int)(u & 0xffu), (size_t)n);
  }
}
