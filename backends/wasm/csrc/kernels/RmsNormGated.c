/*
 * RmsNormGated and RmsNormGatedGrad: Mamba2's grouped gated RMSNorm, all in f32 (sums in f64). x, z [R, D],
 * weight [D]; each row splits into D/groupSize groups of consecutive channels, normalised separately.
 * normBeforeGate = false: g = x ⊙ silu(z); r = 1/√(mean_group(g²) + eps); y = weight ⊙ g·r
 * normBeforeGate = true:  r = 1/√(mean_group(x²) + eps);          y = weight ⊙ x·r ⊙ silu(z)
 * Backward (as the reference): dn = dy ⊙ weight (⊙ silu(z) when normBeforeGate); dpre = r·(dn − n·mean(dn ⊙ n)),
 * then dx, dz through the gate; dweight = Σ_rows dy ⊙ n (⊙ silu(z)) as a column pass from the saved r.
 */
#include "../fh.h"

typedef struct {
  float *y, *dx, *dz, *dweight, *rstd;
  const float *x, *z, *w, *dy;
  int R, D, group, before, rnd, rnd_w;
  float eps;
} gated_job;

static float group_rstd(const float *x, const float *z, int n, int gate_first, float eps) {
  double ss = 0;
  for (int i = 0; i < n; i++) {
    float g = gate_first ? x[i] * fh_silu(z[i]) : x[i];
    ss += (double)g * g;
  }
  return (float)(1.0 / sqrt(ss / n + (double)eps));
}

static void gated_forward_groups(void *p, int begin, int end) {
  gated_job *j = (gated_job *)p;
  int G = j->group;
  for (int gi = begin; gi < end; gi++) {
    long s = (long)gi * G;
    const float *x = j->x + s, *z = j->z + s;
    float *y = j->y + s;
    int c0 = (int)(s % j->D);
    float rs = group_rstd(x, z, G, !j->before, j->eps);
    for (int i = 0; i < G; i++) {
      float w = j->w[c0 + i], sz = fh_silu(z[i]);
      y[i] = fh_round(j->before ? w * (x[i] * rs) * sz : w * (x[i] * sz) * rs, j->rnd);
    }
  }
}

FH_EXPORT void RmsNormGated(float *y, const float *x, const float *z, const float *weight, int R, int D, int groupSize,
                            float eps, int normBeforeGate, int rnd) {
  gated_job j = {.y = y, .x = x, .z = z, .w = weight, .R = R, .D = D, .group = groupSize, .before = normBeforeGate,
                 .rnd = rnd, .eps = eps};
  int groups = (int)((long)R * D / groupSize);
  fh_parallel_for_work(groups, 12.0 * groupSize, gated_forward_groups, &j);
}

static void gated_backward_groups(void *p, int begin, int end) {
  gated_job *j = (gated_job *)p;
  int G = j->group;
  for (int gi = begin; gi < end; gi++) {
    long s = (long)gi * G;
    const float *x = j->x + s, *z = j->z + s, *dy = j->dy + s;
    int c0 = (int)(s % j->D);
    float rs = group_rstd(x, z, G, !j->before, j->eps);
    j->rstd[gi] = rs;
    double mean = 0;
    for (int i = 0; i < G; i++) {
      float sz = fh_silu(z[i]);
      float pre = j->before ? x[i] : x[i] * sz;
      float dn = dy[i] * j->w[c0 + i] * (j->before ? sz : 1.0f);
      mean += (double)dn * (pre * rs);
    }
    float m = (float)(mean / G);
    for (int i = 0; i < G; i++) {
      float sz = fh_silu(z[i]);
      float pre = j->before ? x[i] : x[i] * sz;
      float n = pre * rs;
      float w = j->w[c0 + i];
      float dn = dy[i] * w * (j->before ? sz : 1.0f);
      float dpre = rs * (dn - n * m);
      if (j->before) {
        j->dx[s + i] = fh_round(dpre, j->rnd);
        j->dz[s + i] = fh_round(dy[i] * w * n * fh_silu_grad(z[i]), j->rnd);
      } else {
        j->dx[s + i] = fh_round(dpre * sz, j->rnd);
        j->dz[s + i] = fh_round(dpre * x[i] * fh_silu_grad(z[i]), j->rnd);
      }
    }
  }
}

static void gated_dweight_columns(void *p, int begin, int end) {
  gated_job *j = (gated_job *)p;
  int D = j->D;
  for (int c = begin; c < end; c++) {
    double acc = 0;
    for (int r = 0; r < j->R; r++) {
      long at = (long)r * D + c;
      float rs = j->rstd[at / j->group];
      float sz = fh_silu(j->z[at]);
      float n = (j->before ? j->x[at] : j->x[at] * sz) * rs;
      acc += (double)j->dy[at] * n * (j->before ? sz : 1.0f);
    }
    j->dweight[c] = fh_round((float)acc, j->rnd_w);
  }
}

FH_EXPORT void RmsNormGatedGrad(float *dx, float *dz, float *dweight, const float *dy, const float *x, const float *z,
                                const float *weight, int R, int D, int groupSize, float eps, int normBeforeGate,
                                int rnd, int rnd_w) {
  gated_job j = {.dx = dx, .dz = dz, .dweight = dweight, .x = x, .z = z, .w = weight, .dy = dy, .R = R, .D = D,
                 .group = groupSize, .before = normBeforeGate, .rnd = rnd, .rnd_w = rnd_w, .eps = eps};
  int groups = (int)((long)R * D / groupSize);
  j.rstd = (float *)fh_alloc(sizeof(float) * (size_t)(groups > 0 ? groups : 1));
  fh_parallel_for_work(groups, 24.0 * groupSize, gated_backward_groups, &j);
  fh_parallel_for_work(D, 12.0 * R, gated_dweight_columns, &j);
  fh_free(j.rstd);
}
