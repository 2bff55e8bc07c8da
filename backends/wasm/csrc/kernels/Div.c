/* Div: y = a / b over broadcast inputs; i32 truncates toward zero, and division by zero gives 0. */
#include "../elementwise.h"

#define DIV(a, b) ((a) / (b))

FH_INLINE int32_t idiv(int32_t a, int32_t b) {
  if (b == 0) return 0;
  if (a == INT32_MIN && b == -1) return INT32_MIN; /* 2^31 wraps */
  return a / b;
}

FH_BINARY(Div, wasm_f32x4_div, DIV, idiv)
