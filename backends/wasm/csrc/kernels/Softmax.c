/*
 * Softmax and SoftmaxGrad over the last axis; rows x [R, D] run in parallel.
 *   y  = exp(x − max) / Σ exp(x − max)
 *   dx = y ⊙ (dy − Σ(dy ⊙ y))
 */
#include "../fh.h"

typedef struct {
  float *out;
  const float *in0, *in1;
  int D, rnd;
} rows_ctx;

/* y[0..D) ← softmax(x[0..D)) (not rounded). Shared with CrossEntropy-style callers. */
static void softmax_row(float *y, const float *x, int D) {
  v128_t m4 = wasm_f32x4_splat(-INFINITY);
  int i = 0;
  for (; i + 4 <= D; i += 4) m4 = wasm_f32x4_max(m4, wasm_v128_load(x + i));
  float m = fh_hmax(m4);
  for (; i < D; i++) m = (m != m || x[i] != x[i]) ? m + x[i] : fmaxf(m, x[i]);
  v128_t vm = wasm_f32x4_splat(m), s4 = wasm_f32x4_splat(0);
  for (i = 0; i + 4 <= D; i += 4) {
    v128_t e = fh_exp_x4(wasm_f32x4_sub(wasm_v128_load(x + i), vm));
    wasm_v128_store(y + i, e);
    s4 = wasm_f32x4_add(s4, e);
  }
  double sum = fh_hsum(s4);
  for (; i < D; i++) {
    y[i] = fh_exp(x[i] - m);
    sum += y[i];
  }
  v128_t inv = wasm_f32x4_splat((float)(1.0 / sum));
  for (i = 0; i + 4 <= D; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), inv));
  for (; i < D; i++) y[i] = (float)(y[i] / sum);
}

static void softmax_rows(void *p, int begin, int end) {
  rows_ctx *c = (rows_ctx *)p;
  for (int r = begin; r < end; r++) {
    softmax_row(c->out + (long)r * c->D, c->in0 + (long)r * c->D, c->D);
    fh_round_array(c->out + (long)r * c->D, (size_t)c->D, c->rnd);
  }
}

FH_EXPORT void Softmax(float *y, const float *x, int R, int D, int rnd) {
  rows_ctx c = {y, x, 0, D, rnd};
  fh_parallel_for_work(R, 8.0 * D, softmax_rows, &c);
}

static void softmax_grad_rows(void *p, int begin, int end) {
  rows_ctx *c = (rows_ctx *)p;
  int D = c->D;
  for (int r = begin; r < end; r++) {
    float *dx = c->out + (long)r * D;
    const float *dy = c->in0 + (long)r * D, *y = c->in1 + (long)r * D;
    v128_t s4 = wasm_f32x4_splat(0);
    int i = 0;
    for (; i + 4 <= D; i += 4) s4 = wasm_f32x4_add(s4, wasm_f32x4_mul(wasm_v128_load(dy + i), wasm_v128_load(y + i)));
    float dot = fh_hsum(s4);
    for (; i < D; i++) dot += dy[i] * y[i];
    v128_t vd = wasm_f32x4_splat(dot);
    for (i = 0; i + 4 <= D; i += 4)
      wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(y + i), wasm_f32x4_sub(wasm_v128_load(dy + i), vd)));
    for (; i < D; i++) dx[i] = y[i] * (dy[i] - dot);
    fh_round_array(dx, (size_t)D, c->rnd);
  }
}

FH_EXPORT void SoftmaxGrad(float *dx, const float *dy, const float *y, int R, int D, int rnd) {
  rows_ctx c = {dx, dy, y, D, rnd};
  fh_parallel_for_work(R, 3.0 * D, softmax_grad_rows, &c);
}
