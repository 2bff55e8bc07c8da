/* Scale: y = x·scale + shift elementwise, computed in f64 (two lanes at a time) and rounded once. */
#include "../elementwise.h"

typedef struct {
  float *y;
  const float *x;
  double scale, shift;
  int rnd;
} scale_ctx;

static void scale_body(void *p, int begin, int end) {
  scale_ctx *c = (scale_ctx *)p;
  v128_t s = wasm_f64x2_splat(c->scale), t = wasm_f64x2_splat(c->shift);
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    v128_t v = wasm_v128_load(c->x + i);
    v128_t lo = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(v), s), t);
    v128_t hi = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0)), s), t);
    wasm_v128_store(c->y + i, wasm_i64x2_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 2));
  }
  for (; i < end; i++) c->y[i] = (float)((double)c->x[i] * c->scale + c->shift);
  fh_round_array(c->y + begin, (size_t)(end - begin), c->rnd);
}

FH_EXPORT void Scale(float *y, const float *x, int n, double scale, double shift, int rnd) {
  scale_ctx c = {y, x, scale, shift, rnd};
  fh_elementwise(n, scale_body, &c);
}
