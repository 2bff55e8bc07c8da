/*
 * Gather: y[i, :] = table[indices[i], :] (rows of `row_bytes`). Returns −1, or the position of the first index
 * outside [0, V) (then nothing is written; the caller reports it).
 */
#include "../fh.h"

FH_EXPORT int Gather(void *y, const void *table, const int32_t *indices, int count, int V, int row_bytes) {
  for (int i = 0; i < count; i++)
    if (indices[i] < 0 || indices[i] >= V) return i;
  for (int i = 0; i < count; i++)
    memcpy((char *)y + (long)i * row_bytes, (const char *)table + (long)indices[i] * row_bytes, (size_t)row_bytes);
  return -1;
}
