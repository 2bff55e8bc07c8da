/* Neg: y = −x. Floats and i32 (wrapping). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Neg_f32, wasm_f32x4_neg(v), -s)

FH_EXPORT void Neg(void *y, const void *x, int n, int dtype) {
  if (dtype == FH_I32) {
    int32_t *yi = (int32_t *)y;
    const int32_t *xi = (const int32_t *)x;
    for (int i = 0; i < n; i++) yi[i] = (int32_t)(0u - (uint32_t)xi[i]);
    return;
  }
  Neg_f32((float *)y, (const float *)x, n, dtype);
}
