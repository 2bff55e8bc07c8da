/* Rsqrt: y = 1/√x. */
#include "../elementwise.h"

FH_UNARY_FLOAT(Rsqrt, wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_sqrt(v)), 1.0f / sqrtf(s))
