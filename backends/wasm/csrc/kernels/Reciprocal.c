/* Reciprocal: y = 1/x. */
#include "../elementwise.h"

FH_UNARY_FLOAT(Reciprocal, wasm_f32x4_div(wasm_f32x4_splat(1.0f), v), 1.0f / s)
