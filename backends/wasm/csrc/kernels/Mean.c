/* Mean: y[o, r] = Σ_i x[o, i, r] / divisor (divisor: the count of every reduced axis, passed by the caller). */
#include "../elementwise.h"

FH_EXPORT void Mean(float *y, const float *x, int outer, int n, int inner, double divisor, int rnd) {
  fh_reduce_sum(y, x, outer, n, inner, divisor, rnd);
}
