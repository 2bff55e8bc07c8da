/* Abs: y = |x|. Floats and i32 (wrapping). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Abs_f32, wasm_f32x4_abs(v), fabsf(s))

FH_EXPORT void Abs(void *y, const void *x, int n, int dtype) {
  if (dtype == FH_I32) {
    int32_t *yi = (int32_t *)y;
    const int32_t *xi = (const int32_t *)x;
    for (int i = 0; i < n; i++) yi[i] = xi[i] < 0 ? (int32_t)(0u - (uint32_t)xi[i]) : xi[i];
    return;
  }
  Abs_f32((float *)y, (const float *)x, n, dtype);
}
