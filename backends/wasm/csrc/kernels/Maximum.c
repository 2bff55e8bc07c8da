/* Maximum: y = max(a, b) over broadcast inputs; NaN propagates (f32x4.max does). */
#include "../elementwise.h"

FH_INLINE float fmax_nan(float a, float b) { return a != a || b != b ? a + b : fmaxf(a, b); }
#define IMAX(a, b) ((a) > (b) ? (a) : (b))

FH_BINARY(Maximum, wasm_f32x4_max, fmax_nan, IMAX)
