/* Tanh: y = tanh x (musl tanhf per lane). */
#include "../elementwise.h"

/* Four lanes through a scalar libm function (musl: correctly rounded or within 1 ulp). */
FH_INLINE v128_t map4(v128_t v, float (*f)(float)) {
  return wasm_f32x4_make(f(wasm_f32x4_extract_lane(v, 0)), f(wasm_f32x4_extract_lane(v, 1)),
                         f(wasm_f32x4_extract_lane(v, 2)), f(wasm_f32x4_extract_lane(v, 3)));
}

FH_UNARY_FLOAT(Tanh, map4(v, tanhf), tanhf(s))
