/*
 * ScatterAdd (the adjoint of Gather): y [rows, rowSize] = 0, then y[indices[i], :] += updates[i, :] (duplicates
 * accumulate; f32 or wrapping i32). Returns −1, or the position of the first index outside [0, rows).
 */
#include "../fh.h"

FH_EXPORT int ScatterAdd(void *y, const void *updates, const int32_t *indices, int count, int rows, int row_size,
                         int dtype) {
  for (int i = 0; i < count; i++)
    if (indices[i] < 0 || indices[i] >= rows) return i;
  memset(y, 0, (size_t)rows * (size_t)row_size * 4);
  if (dtype == FH_I32) {
    for (int i = 0; i < count; i++) {
      int32_t *yr = (int32_t *)y + (long)indices[i] * row_size;
      const int32_t *u = (const int32_t *)updates + (long)i * row_size;
      for (int r = 0; r < row_size; r++) yr[r] = (int32_t)((uint32_t)yr[r] + (uint32_t)u[r]);
    }
    return -1;
  }
  for (int i = 0; i < count; i++) {
    float *yr = (float *)y + (long)indices[i] * row_size;
    const float *u = (const float *)updates + (long)i * row_size;
    int r = 0;
    for (; r + 4 <= row_size; r += 4) wasm_v128_store(yr + r, wasm_f32x4_add(wasm_v128_load(yr + r), wasm_v128_load(u + r)));
    for (; r < row_size; r++) yr[r] += u[r];
  }
  fh_round_array((float *)y, (size_t)rows * (size_t)row_size, dtype);
  return -1;
}
