/* Silu: y = x·σ(x). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Silu, fh_silu_x4(v), fh_silu(s))
