/*
 * RmsNorm and RmsNormGrad over the last axis (transformers' FalconH1RMSNorm). x [R, D], weight [D].
 *   r = 1/√(mean(x²) + eps);  n = round_x(x·r);  y = weight ⊙ n
 * Backward (the rounding of n counts as the identity; dweight uses the rounded n):
 *   g = dy ⊙ weight;  dx = r·(g − (x·r)·mean(g ⊙ x·r));  dweight = Σ_rows dy ⊙ n
 * Rows run in parallel; dweight is a second pass over column ranges (f64 accumulators) from the saved r.
 */
#include "../fh.h"

typedef struct {
  float *y, *dx, *dweight, *rstd;
  const float *x, *w, *dy;
  int R, D, rnd_x, rnd_w;
  float eps;
} rms_job;

static float rstd_of(const float *x, int D, float eps) {
  v128_t s4 = wasm_f32x4_splat(0);
  int i = 0;
  for (; i + 4 <= D; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    s4 = wasm_f32x4_add(s4, wasm_f32x4_mul(v, v));
  }
  double ss = fh_hsum(s4);
  for (; i < D; i++) ss += (double)x[i] * x[i];
  return (float)(1.0 / sqrt(ss / D + (double)eps));
}

static void rms_forward_rows(void *p, int begin, int end) {
  rms_job *j = (rms_job *)p;
  int D = j->D;
  for (int r = begin; r < end; r++) {
    const float *x = j->x + (long)r * D;
    float *y = j->y + (long)r * D;
    float rs = rstd_of(x, D, j->eps);
    if (j->rnd_x == FH_F32) {
      v128_t vr = wasm_f32x4_splat(rs);
      int i = 0;
      for (; i + 4 <= D; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(j->w + i), wasm_f32x4_mul(wasm_v128_load(x + i), vr)));
      for (; i < D; i++) y[i] = j->w[i] * (x[i] * rs);
    } else {
      for (int i = 0; i < D; i++) y[i] = fh_round(j->w[i] * fh_round(x[i] * rs, j->rnd_x), j->rnd_x);
    }
  }
}

FH_EXPORT void RmsNorm(float *y, const float *x, const float *weight, int R, int D, float eps, int rnd) {
  rms_job j = {.y = y, .x = x, .w = weight, .R = R, .D = D, .rnd_x = rnd, .eps = eps};
  fh_parallel_for_work(R, 3.0 * D, rms_forward_rows, &j);
}

static void rms_backward_rows(void *p, int begin, int end) {
  rms_job *j = (rms_job *)p;
  int D = j->D;
  for (int r = begin; r < end; r++) {
    const float *x = j->x + (long)r * D, *dy = j->dy + (long)r * D;
    float *dx = j->dx + (long)r * D;
    float rs = rstd_of(x, D, j->eps);
    j->rstd[r] = rs;
    double mean_gn = 0;
    for (int i = 0; i < D; i++) mean_gn += (double)dy[i] * j->w[i] * (x[i] * rs);
    float m = (float)(mean_gn / D);
    for (int i = 0; i < D; i++) dx[i] = fh_round(rs * (dy[i] * j->w[i] - (x[i] * rs) * m), j->rnd_x);
  }
}

static void rms_dweight_columns(void *p, int begin, int end) {
  rms_job *j = (rms_job *)p;
  int D = j->D;
  for (int i = begin; i < end; i++) {
    double acc = 0;
    for (int r = 0; r < j->R; r++) {
      long at = (long)r * D + i;
      acc += (double)j->dy[at] * fh_round(j->x[at] * j->rstd[r], j->rnd_x);
    }
    j->dweight[i] = fh_round((float)acc, j->rnd_w);
  }
}

FH_EXPORT void RmsNormGrad(float *dx, float *dweight, const float *dy, const float *x, const float *weight, int R, int D,
                           float eps, int rnd_x, int rnd_w) {
  rms_job j = {.dx = dx, .dweight = dweight, .x = x, .w = weight, .dy = dy, .R = R, .D = D, .rnd_x = rnd_x,
               .rnd_w = rnd_w, .eps = eps};
  j.rstd = (float *)fh_alloc(sizeof(float) * (size_t)(R > 0 ? R : 1));
  fh_parallel_for_work(R, 6.0 * D, rms_backward_rows, &j);
  fh_parallel_for_work(D, 3.0 * R, rms_dweight_columns, &j);
  fh_free(j.rstd);
}
