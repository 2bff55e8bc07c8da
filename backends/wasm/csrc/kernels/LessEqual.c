/* LessEqual: y (u8) = a ≤ b over broadcast f32, i32 or u8 inputs; NaN compares false otherwise. */
#include "../elementwise.h"

FH_COMPARE(LessEqual, <=)
