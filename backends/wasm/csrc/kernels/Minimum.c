/* Minimum: y = min(a, b) over broadcast inputs; NaN propagates (f32x4.min does). */
#include "../elementwise.h"

FH_INLINE float fmin_nan(float a, float b) { return a != a || b != b ? a + b : fminf(a, b); }
#define IMIN(a, b) ((a) < (b) ? (a) : (b))

FH_BINARY(Minimum, wasm_f32x4_min, fmin_nan, IMIN)
