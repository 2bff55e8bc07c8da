/*
 * broadcast.c — the drivers behind elementwise.h: row iteration over a collapsed broadcast shape, and parallel
 * pieces for contiguous elementwise bodies.
 */
#include "elementwise.h"

#define FH_ELEMENTWISE_GRAIN 65536

void fh_elementwise(int n, fh_task body, void *ctx) { fh_parallel_for(n, FH_ELEMENTWISE_GRAIN, body, ctx); }

typedef struct {
  char *y;
  const char *in[3];
  int ysize, size[3], inputs;
  const int *info;
  fh_row2 row2;
  fh_row3 row3;
  int rnd;
} broadcast_job;

/* Element offset of row `r` (over the outer rank−1 axes) in input `which`. */
static long row_offset(const int *info, int which, long r) {
  int rank = info[0];
  const int *shape = info + 1;
  const int *strides = info + 1 + rank * (1 + which);
  long offset = 0;
  for (int d = rank - 2; d >= 0; d--) {
    long coord = r % shape[d];
    r /= shape[d];
    offset += coord * strides[d];
  }
  return offset;
}

static void broadcast_rows(void *p, int begin, int end) {
  broadcast_job *j = (broadcast_job *)p;
  int rank = j->info[0];
  int n = j->info[rank];
  for (int r = begin; r < end; r++) {
    const void *in[3];
    int s[3];
    for (int k = 0; k < j->inputs; k++) {
      in[k] = j->in[k] + row_offset(j->info, k, r) * j->size[k];
      s[k] = j->info[1 + rank * (2 + k) - 1];
    }
    void *y = j->y + (long)r * n * j->ysize;
    if (j->inputs == 2)
      j->row2(y, in[0], in[1], n, s[0], s[1], j->rnd);
    else
      j->row3(y, in[0], in[1], in[2], n, s[0], s[1], s[2]);
  }
}

static void run_broadcast(broadcast_job *j) {
  int rank = j->info[0];
  if (rank == 0) return; /* the TypeScript side always passes rank ≥ 1 */
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= j->info[1 + d];
  int n = j->info[rank];
  if (rows == 0 || n == 0) return;
  int grain = n >= 65536 ? 1 : 65536 / n;
  fh_parallel_for((int)rows, grain, broadcast_rows, j);
}

void fh_broadcast2(void *y, int ysize, const void *a, int asize, const void *b, int bsize, const int *info, fh_row2 row,
                   int rnd) {
  broadcast_job j = {(char *)y, {(const char *)a, (const char *)b, 0}, ysize, {asize, bsize, 0}, 2, info, row, 0, rnd};
  run_broadcast(&j);
}

void fh_broadcast3(void *y, int ysize, const void *c, const void *a, const void *b, int size, const int *info,
                   fh_row3 row) {
  broadcast_job j = {(char *)y, {(const char *)c, (const char *)a, (const char *)b}, ysize, {1, size, size}, 3, info, 0,
                     row, 0};
  run_broadcast(&j);
}
