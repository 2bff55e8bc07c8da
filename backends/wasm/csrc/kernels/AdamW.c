/*
 * AdamW: decoupled-weight-decay Adam (PyTorch's AdamW), IN PLACE on param, m and v (n elements; m, v f32):
 *   param ← param·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   param ← param − lr·(m/(1−β1^step)) / (√(v/(1−β2^step)) + eps)
 * In f32 SIMD (the constants in f64, rounded once); param is rounded to its dtype (`rnd`).
 */
#include "../elementwise.h"

typedef struct {
  float *param, *m, *v;
  const float *grad;
  float b1, c1, b2, c2, decay, step_size, inv_bc2, eps;
  int rnd;
} adamw_job;

static void adamw_body(void *p, int begin, int end) {
  adamw_job *j = (adamw_job *)p;
  v128_t b1 = wasm_f32x4_splat(j->b1), c1 = wasm_f32x4_splat(j->c1), b2 = wasm_f32x4_splat(j->b2),
         c2 = wasm_f32x4_splat(j->c2), decay = wasm_f32x4_splat(j->decay), lr = wasm_f32x4_splat(j->step_size),
         ib2 = wasm_f32x4_splat(j->inv_bc2), eps = wasm_f32x4_splat(j->eps);
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    v128_t g = wasm_v128_load(j->grad + i);
    v128_t m = wasm_f32x4_add(wasm_f32x4_mul(b1, wasm_v128_load(j->m + i)), wasm_f32x4_mul(c1, g));
    v128_t v = wasm_f32x4_add(wasm_f32x4_mul(b2, wasm_v128_load(j->v + i)), wasm_f32x4_mul(c2, wasm_f32x4_mul(g, g)));
    wasm_v128_store(j->m + i, m);
    wasm_v128_store(j->v + i, v);
    v128_t denom = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(v, ib2)), eps);
    v128_t upd = wasm_f32x4_div(wasm_f32x4_mul(lr, m), denom);
    wasm_v128_store(j->param + i, wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(j->param + i), decay), upd));
  }
  for (; i < end; i++) {
    float g = j->grad[i];
    float m = j->b1 * j->m[i] + j->c1 * g;
    float v = j->b2 * j->v[i] + j->c2 * (g * g);
    j->m[i] = m;
    j->v[i] = v;
    j->param[i] = j->param[i] * j->decay - (j->step_size * m) / (sqrtf(v * j->inv_bc2) + j->eps);
  }
  fh_round_array(j->param + begin, (size_t)(end - begin), j->rnd);
}

FH_EXPORT void AdamW(float *param, const float *grad, float *m, float *v, int n, double lr, double beta1, double beta2,
                     double eps, double weightDecay, int step, int rnd) {
  double bc1 = 1.0 - pow(beta1, step), bc2 = 1.0 - pow(beta2, step);
  adamw_job j = {param, m, v, grad, (float)beta1, (float)(1.0 - beta1), (float)beta2, (float)(1.0 - beta2),
                 (float)(1.0 - lr * weightDecay), (float)(lr / bc1), (float)(1.0 / bc2), (float)eps, rnd};
  fh_elementwise(n, adamw_body, &j);
}
