/* Copy: a new buffer with the same bytes. */
#include "../fh.h"

FH_EXPORT void Copy(void *y, const void *x, int bytes) { memcpy(y, x, (size_t)bytes); }
