/* Clamp: y = min(max(x, lo), hi) elementwise; lo/hi may be ±Infinity; NaN stays NaN (pmax/pmin keep it). */
#include "../elementwise.h"

typedef struct {
  float *y;
  const float *x;
  float lo, hi;
  int rnd;
} clamp_ctx;

static void clamp_body(void *p, int begin, int end) {
  clamp_ctx *c = (clamp_ctx *)p;
  v128_t lo = wasm_f32x4_splat(c->lo), hi = wasm_f32x4_splat(c->hi);
  int i = begin;
  for (; i + 4 <= end; i += 4) wasm_v128_store(c->y + i, wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_v128_load(c->x + i), lo), hi));
  for (; i < end; i++) {
    float v = c->x[i];
    v = v < c->lo ? c->lo : v;
    c->y[i] = c->hi < v ? c->hi : v;
  }
  fh_round_array(c->y + begin, (size_t)(end - begin), c->rnd);
}

FH_EXPORT void Clamp(float *y, const float *x, int n, float lo, float hi, int rnd) {
  clamp_ctx c = {y, x, lo, hi, rnd};
  fh_elementwise(n, clamp_body, &c);
}
