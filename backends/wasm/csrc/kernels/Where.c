/* Where: y = condition ? a : b over broadcast inputs; condition u8 (non-zero = true); a, b 4-byte or 1-byte elements. */
#include "../elementwise.h"

static void where_row4(void *yv, const void *cv, const void *av, const void *bv, int n, int sc, int sa, int sb) {
  uint32_t *y = (uint32_t *)yv;
  const uint8_t *c = (const uint8_t *)cv;
  const uint32_t *a = (const uint32_t *)av, *b = (const uint32_t *)bv;
  for (int i = 0; i < n; i++) y[i] = c[(long)i * sc] ? a[(long)i * sa] : b[(long)i * sb];
}

static void where_row1(void *yv, const void *cv, const void *av, const void *bv, int n, int sc, int sa, int sb) {
  uint8_t *y = (uint8_t *)yv;
  const uint8_t *c = (const uint8_t *)cv, *a = (const uint8_t *)av, *b = (const uint8_t *)bv;
  for (int i = 0; i < n; i++) y[i] = c[(long)i * sc] ? a[(long)i * sa] : b[(long)i * sb];
}

FH_EXPORT void Where(void *y, const uint8_t *condition, const void *a, const void *b, const int *info, int elementSize) {
  fh_broadcast3(y, elementSize, condition, a, b, elementSize, info, elementSize == 1 ? where_row1 : where_row4);
}
