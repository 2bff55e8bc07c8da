/* Sqrt: y = √x (exact IEEE square root). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Sqrt, wasm_f32x4_sqrt(v), sqrtf(s))
