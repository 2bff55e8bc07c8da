/* Softplus: y = ln(1+e^x), computed stably as max(x,0) + log1p(e^−|x|). */
#include "../elementwise.h"

FH_INLINE float softplus1(float x) { return fmaxf(x, 0.0f) + log1pf(fh_exp(-fabsf(x))); }
FH_INLINE v128_t softplus4(v128_t x) {
  v128_t e = fh_exp_x4(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  v128_t l = wasm_f32x4_make(log1pf(wasm_f32x4_extract_lane(e, 0)), log1pf(wasm_f32x4_extract_lane(e, 1)),
                             log1pf(wasm_f32x4_extract_lane(e, 2)), log1pf(wasm_f32x4_extract_lane(e, 3)));
  /* pmax keeps a NaN x (x < 0 is false), as max(x, 0) does in the reference */
  return wasm_f32x4_add(wasm_f32x4_pmax(x, wasm_f32x4_splat(0.0f)), l);
}

FH_UNARY_FLOAT(Softplus, softplus4(v), softplus1(s))
