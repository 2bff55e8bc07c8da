/*
 * Attention and AttentionGrad: grouped-query scaled-dot-product attention with an online softmax — keys are
 * visited in blocks of 64 per query row, the running max and sum rescale the accumulator (FlashAttention's
 * recurrence), so no T×S score matrix is ever stored.
 *   q [B, T, Hq, Dh], k [B, S, Hkv, Dh], v [B, S, Hkv, Dv]; query head h uses KV head h / (Hq/Hkv).
 *   Query i sits at key position i + S − T; key j is visible iff (not causal or j ≤ i + S − T) and
 *   (no document ids or qSeqIdx[b,i] = kSeqIdx[b,j]). A query that sees no key outputs zeros.
 * Backward in two passes, each parallel without write conflicts:
 *   rows (b,i,h):  lse_i, Δ_i = dy_i·out_i, then dq_i = scale·Σ_j p_ij (dy_i·v_j − Δ_i) k_j
 *   keys (b,j,g):  dv_j = Σ_{h∈g, i} p_ij dy_i,   dk_j = scale·Σ_{h∈g, i} p_ij (dy_i·v_j − Δ_i) q_i
 * with p_ij = exp(scale·q_i·k_j − lse_i) recomputed where needed.
 */
#include "../fh.h"

#define KEY_BLOCK 64
#define MAX_HEAD_DIM 1024

typedef struct {
  float *out, *dq, *dk, *dv, *lse, *delta;
  const float *q, *k, *v, *dy;
  const int32_t *qseq, *kseq;
  int B, T, S, Hq, Hkv, Dh, Dv, causal, rnd;
  float scale;
} attn_job;

FH_INLINE float dot(const float *a, const float *b, int n) {
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  for (; i + 4 <= n; i += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  float s = fh_hsum(wasm_f32x4_add(s0, s1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* y[0..n) += alpha · x[0..n) */
FH_INLINE void axpy(float *y, float alpha, const float *x, int n) {
  v128_t va = wasm_f32x4_splat(alpha);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
  for (; i < n; i++) y[i] += alpha * x[i];
}

FH_INLINE void scale_vec(float *y, float alpha, int n) {
  v128_t va = wasm_f32x4_splat(alpha);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), va));
  for (; i < n; i++) y[i] *= alpha;
}

/* The last key visible to query i (ignoring documents). */
FH_INLINE int last_key(const attn_job *j, int i) { return j->causal ? i + j->S - j->T : j->S - 1; }

FH_INLINE int visible(const attn_job *j, int b, int i, int key) {
  return !j->qseq || j->qseq[(long)b * j->T + i] == j->kseq[(long)b * j->S + key];
}

FH_INLINE const float *q_row(const attn_job *j, int b, int i, int h) {
  return j->q + (((long)b * j->T + i) * j->Hq + h) * j->Dh;
}
FH_INLINE const float *k_row(const attn_job *j, int b, int key, int g) {
  return j->k + (((long)b * j->S + key) * j->Hkv + g) * j->Dh;
}
FH_INLINE const float *v_row(const attn_job *j, int b, int key, int g) {
  return j->v + (((long)b * j->S + key) * j->Hkv + g) * j->Dv;
}

/*
 * The online softmax of query row (b, i, h): acc[0..Dv) ← Σ_j e^{s_j − m} v_j, returns l = Σ_j e^{s_j − m}
 * and sets *m (−inf when no key is visible).
 */
static float online_row(const attn_job *j, int b, int i, int h, float *acc, float *m_out) {
  int g = h / (j->Hq / j->Hkv);
  const float *q = q_row(j, b, i, h);
  int last = last_key(j, i);
  float m = -INFINITY, l = 0;
  float scores[KEY_BLOCK];
  memset(acc, 0, sizeof(float) * (size_t)j->Dv);
  for (int j0 = 0; j0 <= last && j0 < j->S; j0 += KEY_BLOCK) {
    int j1 = j0 + KEY_BLOCK <= last + 1 ? j0 + KEY_BLOCK : last + 1;
    if (j1 > j->S) j1 = j->S;
    float bm = -INFINITY;
    for (int key = j0; key < j1; key++) {
      float s = visible(j, b, i, key) ? j->scale * dot(q, k_row(j, b, key, g), j->Dh) : -INFINITY;
      scores[key - j0] = s;
      bm = s > bm ? s : bm;
    }
    if (bm == -INFINITY) continue;
    float mnew = m > bm ? m : bm;
    if (m != -INFINITY && m != mnew) {
      float corr = fh_exp(m - mnew);
      l *= corr;
      scale_vec(acc, corr, j->Dv);
    }
    m = mnew;
    for (int key = j0; key < j1; key++) {
      if (scores[key - j0] == -INFINITY) continue;
      float p = fh_exp(scores[key - j0] - m);
      l += p;
      axpy(acc, p, v_row(j, b, key, g), j->Dv);
    }
  }
  *m_out = m;
  return l;
}

static void attention_rows(void *p, int begin, int end) {
  attn_job *j = (attn_job *)p;
  for (int r = begin; r < end; r++) {
    int h = r % j->Hq, bi = r / j->Hq, i = bi % j->T, b = bi / j->T;
    float *out = j->out + (long)r * j->Dv;
    float m;
    float l = online_row(j, b, i, h, out, &m);
    if (m == -INFINITY) {
      memset(out, 0, sizeof(float) * (size_t)j->Dv);
      continue;
    }
    scale_vec(out, 1.0f / l, j->Dv);
    fh_round_array(out, (size_t)j->Dv, j->rnd);
  }
}

FH_EXPORT void Attention(float *out, const float *q, const float *k, const float *v, const int32_t *qSeqIdx,
                         const int32_t *kSeqIdx, int B, int T, int S, int Hq, int Hkv, int Dh, int Dv, float scale,
                         int causal, int rnd) {
  attn_job j = {.out = out, .q = q, .k = k, .v = v, .qseq = qSeqIdx, .kseq = kSeqIdx, .B = B, .T = T, .S = S,
                .Hq = Hq, .Hkv = Hkv, .Dh = Dh, .Dv = Dv, .causal = causal, .rnd = rnd, .scale = scale};
  fh_parallel_for_work(B * T * Hq, (double)S * (Dh + Dv), attention_rows, &j);
}

/* Pass 1: per query row, lse and Δ, then dq. */
static void attention_grad_rows(void *p, int begin, int end) {
  attn_job *j = (attn_job *)p;
  float acc[MAX_HEAD_DIM];
  for (int r = begin; r < end; r++) {
    int h = r % j->Hq, bi = r / j->Hq, i = bi % j->T, b = bi / j->T;
    int g = h / (j->Hq / j->Hkv);
    float *dq = j->dq + (long)r * j->Dh;
    memset(dq, 0, sizeof(float) * (size_t)j->Dh);
    float m;
    float l = online_row(j, b, i, h, acc, &m);
    if (m == -INFINITY) {
      j->lse[r] = -INFINITY;
      j->delta[r] = 0;
      continue;
    }
    const float *dy = j->dy + (long)r * j->Dv;
    float lse = m + logf(l);
    float delta = dot(dy, acc, j->Dv) / l;
    j->lse[r] = lse;
    j->delta[r] = delta;
    const float *q = q_row(j, b, i, h);
    int last = last_key(j, i);
    for (int key = 0; key <= last && key < j->S; key++) {
      if (!visible(j, b, i, key)) continue;
      const float *kr = k_row(j, b, key, g);
      float pij = fh_exp(j->scale * dot(q, kr, j->Dh) - lse);
      float ds = pij * (dot(dy, v_row(j, b, key, g), j->Dv) - delta);
      axpy(dq, j->scale * ds, kr, j->Dh);
    }
    fh_round_array(dq, (size_t)j->Dh, j->rnd);
  }
}

/* Pass 2: per key row (b, key, g), dk and dv over the group's heads and the queries that see the key. */
static void attention_grad_keys(void *p, int begin, int end) {
  attn_job *j = (attn_job *)p;
  int per = j->Hq / j->Hkv;
  for (int r = begin; r < end; r++) {
    int g = r % j->Hkv, bk = r / j->Hkv, key = bk % j->S, b = bk / j->S;
    float *dk = j->dk + (long)r * j->Dh, *dv = j->dv + (long)r * j->Dv;
    memset(dk, 0, sizeof(float) * (size_t)j->Dh);
    memset(dv, 0, sizeof(float) * (size_t)j->Dv);
    const float *kr = k_row(j, b, key, g), *vr = v_row(j, b, key, g);
    int first = j->causal ? key - (j->S - j->T) : 0;
    if (first < 0) first = 0;
    for (int i = first; i < j->T; i++) {
      if (!visible(j, b, i, key)) continue;
      for (int h = g * per; h < (g + 1) * per; h++) {
        long row = ((long)b * j->T + i) * j->Hq + h;
        if (j->lse[row] == -INFINITY) continue;
        const float *q = q_row(j, b, i, h), *dy = j->dy + row * j->Dv;
        float pij = fh_exp(j->scale * dot(q, kr, j->Dh) - j->lse[row]);
        axpy(dv, pij, dy, j->Dv);
        float ds = pij * (dot(dy, vr, j->Dv) - j->delta[row]);
        axpy(dk, j->scale * ds, q, j->Dh);
      }
    }
    fh_round_array(dk, (size_t)j->Dh, j->rnd);
    fh_round_array(dv, (size_t)j->Dv, j->rnd);
  }
}

FH_EXPORT void AttentionGrad(float *dq, float *dk, float *dv, const float *dy, const float *q, const float *k,
                             const float *v, const int32_t *qSeqIdx, const int32_t *kSeqIdx, int B, int T, int S,
                             int Hq, int Hkv, int Dh, int Dv, float scale, int causal, int rnd) {
  attn_job j = {.dq = dq, .dk = dk, .dv = dv, .q = q, .k = k, .v = v, .dy = dy, .qseq = qSeqIdx, .kseq = kSeqIdx,
                .B = B, .T = T, .S = S, .Hq = Hq, .Hkv = Hkv, .Dh = Dh, .Dv = Dv, .causal = causal, .rnd = rnd,
                .scale = scale};
  long rows = (long)B * T * Hq;
  j.lse = (float *)fh_alloc(sizeof(float) * (size_t)(2 * rows + 1));
  j.delta = j.lse + rows;
  fh_parallel_for_work((int)rows, 3.0 * S * (Dh + Dv), attention_grad_rows, &j);
  fh_parallel_for_work(B * S * Hkv, 2.0 * T * (Hq / Hkv) * (Dh + Dv), attention_grad_keys, &j);
  fh_free(j.lse);
}
