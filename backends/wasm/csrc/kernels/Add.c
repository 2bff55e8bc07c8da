/* Add: y = a + b over broadcast inputs (f32 compute form or i32, wrapping). */
#include "../elementwise.h"

#define ADD(a, b) ((a) + (b))
#define IADD(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))

FH_BINARY(Add, wasm_f32x4_add, ADD, IADD)
