/*
 * CrossEntropy and CrossEntropyGrad: per-row cross-entropy of logits [R, V] against labels i32 [R].
 *   loss[r] = logsumexp(logits[r]) − logits[r, label]   (0 where label = ignoreIndex; losses are f32)
 *   dlogits[r] = dloss[r] · (softmax(logits[r]) − onehot(label))
 * Rows run in parallel; sums of exponentials are carried in f64. Both return −1, or the first row whose label
 * is outside [0, V) and not ignoreIndex (then nothing is computed).
 */
#include "../fh.h"

typedef struct {
  float *out;
  const float *logits, *dloss;
  const int32_t *labels;
  int V, ignore, rnd;
} ce_job;

static float logsumexp(const float *x, int V) {
  v128_t m4 = wasm_f32x4_splat(-INFINITY);
  int i = 0;
  for (; i + 4 <= V; i += 4) m4 = wasm_f32x4_max(m4, wasm_v128_load(x + i));
  float m = fh_hmax(m4);
  for (; i < V; i++) m = (m != m || x[i] != x[i]) ? m + x[i] : fmaxf(m, x[i]);
  v128_t vm = wasm_f32x4_splat(m);
  double sum = 0;
  i = 0;
  while (i + 4 <= V) {
    int end = i + 1024 < V ? i + 1024 : V;
    v128_t s4 = wasm_f32x4_splat(0);
    for (; i + 4 <= end; i += 4) s4 = wasm_f32x4_add(s4, fh_exp_x4(wasm_f32x4_sub(wasm_v128_load(x + i), vm)));
    sum += fh_hsum(s4);
  }
  for (; i < V; i++) sum += fh_exp(x[i] - m);
  return (float)((double)m + log(sum));
}

static int check_labels(const int32_t *labels, int R, int V, int ignore) {
  for (int r = 0; r < R; r++)
    if (labels[r] != ignore && (labels[r] < 0 || labels[r] >= V)) return r;
  return -1;
}

static void ce_rows(void *p, int begin, int end) {
  ce_job *j = (ce_job *)p;
  for (int r = begin; r < end; r++) {
    int label = j->labels[r];
    const float *x = j->logits + (long)r * j->V;
    j->out[r] = label == j->ignore ? 0.0f : logsumexp(x, j->V) - x[label];
  }
}

FH_EXPORT int CrossEntropy(float *loss, const float *logits, const int32_t *labels, int R, int V, int ignoreIndex) {
  int bad = check_labels(labels, R, V, ignoreIndex);
  if (bad >= 0) return bad;
  ce_job j = {.out = loss, .logits = logits, .labels = labels, .V = V, .ignore = ignoreIndex};
  fh_parallel_for_work(R, 8.0 * V, ce_rows, &j);
  return -1;
}

static void ce_grad_rows(void *p, int begin, int end) {
  ce_job *j = (ce_job *)p;
  int V = j->V;
  for (int r = begin; r < end; r++) {
    int label = j->labels[r];
    float *dx = j->out + (long)r * V;
    if (label == j->ignore) {
      memset(dx, 0, sizeof(float) * (size_t)V);
      continue;
    }
    const float *x = j->logits + (long)r * V;
    float lse = logsumexp(x, V), d = j->dloss[r];
    v128_t vl = wasm_f32x4_splat(lse), vd = wasm_f32x4_splat(d);
    int i = 0;
    for (; i + 4 <= V; i += 4)
      wasm_v128_store(dx + i, wasm_f32x4_mul(vd, fh_exp_x4(wasm_f32x4_sub(wasm_v128_load(x + i), vl))));
    for (; i < V; i++) dx[i] = d * fh_exp(x[i] - lse);
    dx[label] = d * (fh_exp(x[label] - lse) - 1.0f);
    fh_round_array(dx, (size_t)V, j->rnd);
  }
}

FH_EXPORT int CrossEntropyGrad(float *dlogits, const float *dloss, const float *logits, const int32_t *labels, int R,
                               int V, int ignoreIndex, int rnd) {
  int bad = check_labels(labels, R, V, ignoreIndex);
  if (bad >= 0) return bad;
  ce_job j = {.out = dlogits, .logits = logits, .dloss = dloss, .labels = labels, .V = V, .ignore = ignoreIndex,
              .rnd = rnd};
  fh_parallel_for_work(R, 12.0 * V, ce_grad_rows, &j);
  return -1;
}
