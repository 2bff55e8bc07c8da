/*
 * Sum (and the shared reduction used by Mean): y[o, r] = Σ_i x[o, i, r] over x viewed as [outer, n, inner].
 * Rows (inner = 1) sum 4 lanes in f32 over blocks of 256 and carry the block sums in f64; columns (inner > 1)
 * accumulate in f64, two lanes at a time. i32 sums wrap.
 */
#include "../elementwise.h"

typedef struct {
  float *y;
  const float *x;
  int n, inner;
  double divisor;
  int rnd;
} sum_ctx;

static double sum_row(const float *x, int n) {
  double total = 0;
  int i = 0;
  while (i < n) {
    int end = i + 256 < n ? i + 256 : n;
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
    for (; i + 8 <= end; i += 8) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(x + i));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(x + i + 4));
    }
    double block = (double)fh_hsum(wasm_f32x4_add(s0, s1));
    for (; i < end; i++) block += x[i];
    total += block;
  }
  return total;
}

static void sum_outer(void *p, int begin, int end) {
  sum_ctx *c = (sum_ctx *)p;
  int n = c->n, inner = c->inner;
  if (inner == 1) {
    for (int o = begin; o < end; o++) c->y[o] = fh_round((float)(sum_row(c->x + (long)o * n, n) / c->divisor), c->rnd);
    return;
  }
  double *acc = (double *)fh_alloc(sizeof(double) * (size_t)inner);
  for (int o = begin; o < end; o++) {
    memset(acc, 0, sizeof(double) * (size_t)inner);
    for (int i = 0; i < n; i++) {
      const float *row = c->x + ((long)o * n + i) * inner;
      int r = 0;
      for (; r + 2 <= inner; r += 2) {
        v128_t v = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(row + r));
        wasm_v128_store(acc + r, wasm_f64x2_add(wasm_v128_load(acc + r), v));
      }
      for (; r < inner; r++) acc[r] += row[r];
    }
    float *y = c->y + (long)o * inner;
    for (int r = 0; r < inner; r++) y[r] = fh_round((float)(acc[r] / c->divisor), c->rnd);
  }
  fh_free(acc);
}

void fh_reduce_sum(float *y, const float *x, int outer, int n, int inner, double divisor, int rnd) {
  sum_ctx c = {y, x, n, inner, divisor, rnd};
  long per = (long)n * inner;
  /* Column sums allocate scratch: keep them on the calling thread (workers never allocate). */
  if (inner > 1) {
    sum_outer(&c, 0, outer);
    return;
  }
  fh_parallel_for_work(outer, (double)per, sum_outer, &c);
}

FH_EXPORT void Sum(void *y, const void *x, int outer, int n, int inner, int dtype) {
  if (dtype == FH_I32) {
    int32_t *yi = (int32_t *)y;
    const int32_t *xi = (const int32_t *)x;
    for (int o = 0; o < outer; o++)
      for (int r = 0; r < inner; r++) {
        uint32_t s = 0;
        for (int i = 0; i < n; i++) s += (uint32_t)xi[((long)o * n + i) * inner + r];
        yi[(long)o * inner + r] = (int32_t)s;
      }
    return;
  }
  fh_reduce_sum((float *)y, (const float *)x, outer, n, inner, 1.0, dtype);
}
