/* Exp: y = e^x (SIMD polynomial, fh_exp_x4). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Exp, fh_exp_x4(v), fh_exp(s))
