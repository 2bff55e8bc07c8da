/* Slice: y = x[begin[d] : begin[d] + size[d]] on every axis. info = [rank, x shape, begin, size]; elements of `es` bytes. */
#include "../fh.h"

FH_EXPORT void Slice(void *y, const void *x, const int *info, int es) {
  int rank = info[0];
  const int *shape = info + 1, *begin = info + 1 + rank, *size = info + 1 + 2 * rank;
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= size[d];
  if (rank == 0) {
    memcpy(y, x, (size_t)es);
    return;
  }
  long row_bytes = (long)size[rank - 1] * es;
  if (row_bytes == 0) return;
  char *out = (char *)y;
  for (long r = 0; r < rows; r++) {
    /* offset of row r of the slice in x */
    long rem = r, offset = 0, stride = shape[rank - 1];
    for (int d = rank - 2; d >= 0; d--) {
      long coord = rem % size[d] + begin[d];
      rem /= size[d];
      offset += coord * stride;
      stride *= shape[d];
    }
    offset += begin[rank - 1];
    memcpy(out, (const char *)x + offset * es, (size_t)row_bytes);
    out += row_bytes;
  }
}
