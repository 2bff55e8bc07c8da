/* Sub: y = a − b over broadcast inputs (f32 compute form or i32, wrapping). */
#include "../elementwise.h"

#define SUB(a, b) ((a) - (b))
#define ISUB(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))

FH_BINARY(Sub, wasm_f32x4_sub, SUB, ISUB)
