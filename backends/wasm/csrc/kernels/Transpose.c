/*
 * Transpose: output axis d is input axis perm[d]. info = [rank, x shape, perm]; elements of `es` bytes (1 or 4).
 * The output is written in order; the innermost output axis reads x with its stride (4-byte elements move as
 * uint32_t, whatever they hold).
 */
#include "../fh.h"

typedef struct {
  void *y;
  const void *x;
  int rank, es;
  long out_shape[8], in_stride[8];
} transpose_job;

static void transpose_rows(void *p, int begin, int end) {
  transpose_job *j = (transpose_job *)p;
  int rank = j->rank;
  long n = j->out_shape[rank - 1], s = j->in_stride[rank - 1];
  for (long r = begin; r < end; r++) {
    long rem = r, offset = 0;
    for (int d = rank - 2; d >= 0; d--) {
      offset += (rem % j->out_shape[d]) * j->in_stride[d];
      rem /= j->out_shape[d];
    }
    if (j->es == 4) {
      uint32_t *y = (uint32_t *)j->y + r * n;
      const uint32_t *x = (const uint32_t *)j->x + offset;
      for (long i = 0; i < n; i++) y[i] = x[i * s];
    } else {
      uint8_t *y = (uint8_t *)j->y + r * n;
      const uint8_t *x = (const uint8_t *)j->x + offset;
      for (long i = 0; i < n; i++) y[i] = x[i * s];
    }
  }
}

FH_EXPORT void Transpose(void *y, const void *x, const int *info, int es) {
  transpose_job j;
  int rank = info[0];
  const int *shape = info + 1, *perm = info + 1 + rank;
  long stride[8];
  long acc = 1;
  for (int d = rank - 1; d >= 0; d--) {
    stride[d] = acc;
    acc *= shape[d];
  }
  if (rank == 0 || acc == 0) {
    if (rank == 0) memcpy(y, x, (size_t)es);
    return;
  }
  j.y = y;
  j.x = x;
  j.rank = rank;
  j.es = es;
  long rows = 1;
  for (int d = 0; d < rank; d++) {
    j.out_shape[d] = shape[perm[d]];
    j.in_stride[d] = stride[perm[d]];
    if (d < rank - 1) rows *= j.out_shape[d];
  }
  long n = j.out_shape[rank - 1];
  fh_parallel_for_work((int)rows, 4.0 * n, transpose_rows, &j);
}
