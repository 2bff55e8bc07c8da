/*
 * CausalConv1dUpdate: one decode step of CausalConv1d. convState [B, C, K] holds the last K inputs (oldest first).
 *   newState[b,c,:] = (convState[b,c,1:], x[b,c]);   y[b,c] = act(bias[c] + Σ_k weight[c,k]·newState[b,c,k])
 */
#include "../fh.h"

FH_EXPORT void CausalConv1dUpdate(float *y, float *newState, const float *convState, const float *x,
                                  const float *weight, const float *bias, int B, int C, int K, int silu, int rnd,
                                  int rnd_state) {
  for (int b = 0; b < B; b++) {
    for (int c = 0; c < C; c++) {
      long base = ((long)b * C + c) * K;
      for (int k = 0; k < K - 1; k++) newState[base + k] = convState[base + k + 1];
      newState[base + K - 1] = x[(long)b * C + c];
      float u = bias ? bias[c] : 0.0f;
      for (int k = 0; k < K; k++) u += weight[(long)c * K + k] * newState[base + k];
      newState[base + K - 1] = fh_round(newState[base + K - 1], rnd_state);
      y[(long)b * C + c] = fh_round(silu ? fh_silu(u) : u, rnd);
    }
  }
}
