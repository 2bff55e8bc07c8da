/*
 * Rope: GPT-NeoX rotary embedding ("rotate half") over the whole head dim. x [BT, H, Dh], positions i32 [BT].
 * For i < half = Dh/2, pinned to f32 exactly as transformers computes them:
 *   inv_freq_i = f32(1 / f32(f32(θ) ^ f32(2i/Dh))),  angle = f32(pos · inv_freq_i),  c, s = f32(cos), f32(sin)
 *   y[i] = x[i]·c − x[i+half]·s,   y[i+half] = x[i+half]·c + x[i]·s          (s negated with `inverse`)
 * Token rows run in parallel; each row computes its half cos/sin pairs once for all heads.
 */
#include "../fh.h"

typedef struct {
  float *y;
  const float *x;
  const int32_t *pos;
  const float *inv_freq;
  int H, Dh, inverse, rnd;
} rope_job;

static void rope_rows(void *p, int begin, int end) {
  rope_job *j = (rope_job *)p;
  int half = j->Dh / 2;
  float cs[512], sn[512];
  for (int bt = begin; bt < end; bt++) {
    for (int i0 = 0; i0 < half; i0 += 512) {
      int i1 = i0 + 512 < half ? i0 + 512 : half;
      for (int i = i0; i < i1; i++) {
        float angle = (float)((double)j->pos[bt] * (double)j->inv_freq[i]);
        cs[i - i0] = (float)cos((double)angle);
        float s = (float)sin((double)angle);
        sn[i - i0] = j->inverse ? -s : s;
      }
      for (int h = 0; h < j->H; h++) {
        long base = ((long)bt * j->H + h) * j->Dh;
        const float *x1 = j->x + base, *x2 = x1 + half;
        float *y1 = j->y + base, *y2 = y1 + half;
        int i = i0;
        for (; i + 4 <= i1; i += 4) {
          v128_t c = wasm_v128_load(cs + i - i0), s = wasm_v128_load(sn + i - i0);
          v128_t a = wasm_v128_load(x1 + i), b = wasm_v128_load(x2 + i);
          wasm_v128_store(y1 + i, wasm_f32x4_sub(wasm_f32x4_mul(a, c), wasm_f32x4_mul(b, s)));
          wasm_v128_store(y2 + i, wasm_f32x4_add(wasm_f32x4_mul(b, c), wasm_f32x4_mul(a, s)));
        }
        for (; i < i1; i++) {
          float a = x1[i], b = x2[i], c = cs[i - i0], s = sn[i - i0];
          y1[i] = a * c - b * s;
          y2[i] = b * c + a * s;
        }
      }
    }
    fh_round_array(j->y + (long)bt * j->H * j->Dh, (size_t)j->H * j->Dh, j->rnd);
  }
}

FH_EXPORT void Rope(float *y, const float *x, const int32_t *positions, int BT, int H, int Dh, double theta,
                    int inverse, int rnd) {
  int half = Dh / 2;
  float *inv_freq = (float *)fh_alloc(sizeof(float) * (size_t)(half > 0 ? half : 1));
  float th = (float)theta;
  for (int i = 0; i < half; i++) {
    float e = (float)((double)(2 * i) / Dh);
    float pw = (float)pow((double)th, (double)e);
    inv_freq[i] = (float)(1.0 / (double)pw);
  }
  rope_job j = {y, x, positions, inv_freq, H, Dh, inverse, rnd};
  fh_parallel_for_work(BT, (double)H * Dh + 40.0 * (Dh / 2), rope_rows, &j);
  fh_free(inv_freq);
}
