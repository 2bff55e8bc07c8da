/*
 * Concat: joins tensors along an axis. Every input is viewed as [outer, inner_i] (inner_i: its bytes from the
 * axis on), the output as [outer, Σ inner_i]. info = [count, outer, then per input: pointer, inner_i bytes].
 */
#include "../fh.h"

FH_EXPORT void Concat(void *y, const int *info) {
  int count = info[0], outer = info[1];
  long out_inner = 0;
  for (int i = 0; i < count; i++) out_inner += info[3 + 2 * i];
  long at = 0;
  for (int i = 0; i < count; i++) {
    const char *x = (const char *)(uintptr_t)(uint32_t)info[2 + 2 * i];
    long inner = info[3 + 2 * i];
    for (int o = 0; o < outer; o++) memcpy((char *)y + (long)o * out_inner + at, x + (long)o * inner, (size_t)inner);
    at += inner;
  }
}
