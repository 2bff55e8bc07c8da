/*
 * CausalConv1d and CausalConv1dGrad: causal depthwise conv1d over time with zero left padding.
 *   x [B, T, C], weight [C, K], bias [C]?, initialState [B, C, K−1]?, seqIdx i32 [B, T]?
 *   u[b,t,c] = bias[c] + Σ_{k<K} weight[c,k] · xin[b, t−(K−1)+k, c];   y = act(u)   (act: none or silu)
 * xin is x for s ≥ 0 and the initial state for s < 0 (zeros without one). With seqIdx a term reads s only if
 * s is in t's document; the initial-state columns belong to the document of t = 0.
 * Whether a term is read depends on (b, t, s) only, so every (b, t) row is SIMD over channels, with the weight
 * transposed to [K, C] first. Backward, with du = dy ⊙ act'(u):
 *   dx[b,s,c] = Σ_k du[b, s+K−1−k, c]·weight[c,k]   (terms read)     dinitialState likewise for s < 0
 *   dweight[c,k] = Σ_{b,t} du[b,t,c]·xin[b,t−K+1+k,c]                dbias[c] = Σ_{b,t} du[b,t,c]
 */
#include "../fh.h"

typedef struct {
  float *y, *dx, *du, *dinit;
  const float *x, *wt, *bias, *init, *dy;
  const int32_t *seq;
  int B, T, C, K, silu, rnd, rnd_state;
} conv_job;

/* Whether output (b, t) reads position s (s may be negative: an initial-state column). */
FH_INLINE int reads(const conv_job *j, int b, int t, int s) {
  if (s < 0 && !j->init) return 0;
  if (!j->seq) return 1;
  int doc_s = s >= 0 ? j->seq[(long)b * j->T + s] : j->seq[(long)b * j->T];
  return doc_s == j->seq[(long)b * j->T + t];
}

/* u[0..C) ← pre-activation of output (b, t). */
static void pre_activation(const conv_job *j, int b, int t, float *u) {
  int C = j->C, K = j->K;
  if (j->bias)
    memcpy(u, j->bias, sizeof(float) * (size_t)C);
  else
    memset(u, 0, sizeof(float) * (size_t)C);
  for (int k = 0; k < K; k++) {
    int s = t - (K - 1) + k;
    if (!reads(j, b, t, s)) continue;
    const float *w = j->wt + (long)k * C;
    if (s >= 0) {
      const float *xs = j->x + ((long)b * j->T + s) * C;
      int c = 0;
      for (; c + 4 <= C; c += 4)
        wasm_v128_store(u + c, wasm_f32x4_add(wasm_v128_load(u + c), wasm_f32x4_mul(wasm_v128_load(w + c), wasm_v128_load(xs + c))));
      for (; c < C; c++) u[c] += w[c] * xs[c];
    } else {
      const float *st = j->init + (long)b * C * (K - 1) + (K - 1 + s);
      for (int c = 0; c < C; c++) u[c] += w[c] * st[(long)c * (K - 1)];
    }
  }
}

static void conv_forward_rows(void *p, int begin, int end) {
  conv_job *j = (conv_job *)p;
  for (int r = begin; r < end; r++) {
    int b = r / j->T, t = r % j->T;
    float *y = j->y + (long)r * j->C;
    pre_activation(j, b, t, y);
    if (j->silu) {
      int c = 0;
      for (; c + 4 <= j->C; c += 4) wasm_v128_store(y + c, fh_silu_x4(wasm_v128_load(y + c)));
      for (; c < j->C; c++) y[c] = fh_silu(y[c]);
    }
    fh_round_array(y, (size_t)j->C, j->rnd);
  }
}

static float *transposed_weight(const float *weight, int C, int K) {
  float *wt = (float *)fh_alloc(sizeof(float) * (size_t)C * K);
  for (int c = 0; c < C; c++)
    for (int k = 0; k < K; k++) wt[(long)k * C + c] = weight[(long)c * K + k];
  return wt;
}

FH_EXPORT void CausalConv1d(float *y, const float *x, const float *weight, const float *bias, const float *initialState,
                            const int32_t *seqIdx, int B, int T, int C, int K, int silu, int rnd) {
  conv_job j = {.y = y, .x = x, .bias = bias, .init = initialState, .seq = seqIdx, .B = B, .T = T, .C = C, .K = K,
                .silu = silu, .rnd = rnd};
  float *wt = transposed_weight(weight, C, K);
  j.wt = wt;
  fh_parallel_for_work(B * T, (double)C * K, conv_forward_rows, &j);
  fh_free(wt);
}

/* du ← dy ⊙ act'(u) for every row. */
static void conv_du_rows(void *p, int begin, int end) {
  conv_job *j = (conv_job *)p;
  for (int r = begin; r < end; r++) {
    int b = r / j->T, t = r % j->T;
    float *du = j->du + (long)r * j->C;
    const float *dy = j->dy + (long)r * j->C;
    if (!j->silu) {
      memcpy(du, dy, sizeof(float) * (size_t)j->C);
      continue;
    }
    pre_activation(j, b, t, du);
    for (int c = 0; c < j->C; c++) du[c] = dy[c] * fh_silu_grad(du[c]);
  }
}

/* dx[b,s,:] for every row (b, s) with s ≥ 0, and dinitialState[b,:,K−1+s] for s < 0 (rows b·(T+K−1) + s + K−1). */
static void conv_dx_rows(void *p, int begin, int end) {
  conv_job *j = (conv_job *)p;
  int C = j->C, K = j->K, T = j->T, span = T + K - 1;
  for (int r = begin; r < end; r++) {
    int b = r / span, s = r % span - (K - 1);
    if (s < 0) {
      if (!j->dinit) continue;
      for (int c = 0; c < C; c++) {
        float v = 0;
        for (int k = 0; k < K; k++) {
          int t = s + (K - 1) - k;
          if (t < 0 || t >= T || !reads(j, b, t, s)) continue;
          v += j->du[((long)b * T + t) * C + c] * j->wt[(long)k * C + c];
        }
        j->dinit[((long)b * C + c) * (K - 1) + (K - 1 + s)] = fh_round(v, j->rnd_state);
      }
      continue;
    }
    float *sum = j->dx + ((long)b * T + s) * C;
    memset(sum, 0, sizeof(float) * (size_t)C);
    for (int k = 0; k < K; k++) {
      int t = s + (K - 1) - k;
      if (t >= T || !reads(j, b, t, s)) continue;
      const float *du = j->du + ((long)b * T + t) * C, *w = j->wt + (long)k * C;
      int c = 0;
      for (; c + 4 <= C; c += 4)
        wasm_v128_store(sum + c, wasm_f32x4_add(wasm_v128_load(sum + c), wasm_f32x4_mul(wasm_v128_load(du + c), wasm_v128_load(w + c))));
      for (; c < C; c++) sum[c] += du[c] * w[c];
    }
    fh_round_array(sum, (size_t)C, j->rnd);
  }
}

FH_EXPORT void CausalConv1dGrad(float *dx, float *dweight, float *dbias, float *dinitialState, const float *dy,
                                const float *x, const float *weight, const float *bias, const float *initialState,
                                const int32_t *seqIdx, int B, int T, int C, int K, int silu, int rnd, int rnd_w,
                                int rnd_state) {
  conv_job j = {.dx = dx, .dinit = dinitialState, .x = x, .bias = bias, .init = initialState, .dy = dy, .seq = seqIdx,
                .B = B, .T = T, .C = C, .K = K, .silu = silu, .rnd = rnd, .rnd_state = rnd_state};
  float *wt = transposed_weight(weight, C, K);
  j.wt = wt;
  j.du = (float *)fh_alloc(sizeof(float) * ((size_t)B * T * C + 1));
  fh_parallel_for_work(B * T, (double)C * K, conv_du_rows, &j);
  fh_parallel_for_work(B * (T + K - 1), (double)C * K, conv_dx_rows, &j);
  /* dweight, dbias: sums over (b, t), in f64 */
  double *dw = (double *)fh_alloc(sizeof(double) * ((size_t)C * K + C));
  double *db = dw + (size_t)C * K;
  memset(dw, 0, sizeof(double) * ((size_t)C * K + C));
  for (int b = 0; b < B; b++) {
    for (int t = 0; t < T; t++) {
      const float *du = j.du + ((long)b * T + t) * C;
      for (int c = 0; c < C; c++) db[c] += du[c];
      for (int k = 0; k < K; k++) {
        int s = t - (K - 1) + k;
        if (!reads(&j, b, t, s)) continue;
        if (s >= 0) {
          const float *xs = x + ((long)b * T + s) * C;
          for (int c = 0; c < C; c++) dw[(long)c * K + k] += (double)du[c] * xs[c];
        } else {
          const float *st = initialState + (long)b * C * (K - 1) + (K - 1 + s);
          for (int c = 0; c < C; c++) dw[(long)c * K + k] += (double)du[c] * st[(long)c * (K - 1)];
        }
      }
    }
  }
  for (long i = 0; i < (long)C * K; i++) dweight[i] = fh_round((float)dw[i], rnd_w);
  if (dbias)
    for (int c = 0; c < C; c++) dbias[c] = fh_round((float)db[c], rnd_w);
  fh_free(dw);
  fh_free(j.du);
  fh_free(wt);
}
