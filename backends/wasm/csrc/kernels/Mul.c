/* Mul: y = a · b over broadcast inputs (f32 compute form or i32, wrapping). */
#include "../elementwise.h"

#define MUL(a, b) ((a) * (b))
#define IMUL(a, b) ((int32_t)((uint32_t)(a) * (uint32_t)(b)))

FH_BINARY(Mul, wasm_f32x4_mul, MUL, IMUL)
