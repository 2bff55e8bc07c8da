/* Sigmoid: y = 1/(1+e^−x). */
#include "../elementwise.h"

FH_UNARY_FLOAT(Sigmoid, fh_sigmoid_x4(v), fh_sigmoid(s))
