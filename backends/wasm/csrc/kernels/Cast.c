/*
 * Cast: converts n elements from dtype `from` to dtype `to`. float → float rounds to nearest even (through f32);
 * float → int truncates toward zero and wraps (u8 modulo 256, i32 modulo 2^32), NaN and ±Inf give 0;
 * int → float is exact where representable, else rounded to nearest.
 */
#include "../elementwise.h"

/* ECMAScript ToInt32 of a float already in f32: truncate, wrap modulo 2^32. */
FH_INLINE uint32_t to_uint32(float v) {
  if (!isfinite(v)) return 0;
  double t = trunc((double)v);
  double m = fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (uint32_t)m;
}

FH_EXPORT void Cast(void *y, const void *x, int n, int from, int to) {
  int from_float = from <= FH_F16, to_float = to <= FH_F16;
  if (from_float && to_float) {
    if (y != x) memcpy(y, x, sizeof(float) * (size_t)n);
    fh_round_array((float *)y, (size_t)n, to);
    return;
  }
  for (int i = 0; i < n; i++) {
    double v;
    if (from_float)
      v = ((const float *)x)[i];
    else if (from == FH_I32)
      v = ((const int32_t *)x)[i];
    else
      v = ((const uint8_t *)x)[i];
    if (to_float)
      ((float *)y)[i] = fh_round((float)v, to);
    else if (to == FH_I32)
      ((int32_t *)y)[i] = from_float ? (int32_t)to_uint32((float)v) : (int32_t)v;
    else
      ((uint8_t *)y)[i] = from_float ? (uint8_t)to_uint32((float)v) : (uint8_t)(int64_t)v;
  }
}
