/*
 * gemm.c — f32 matrix product, register-blocked and cache-tiled over packed panels (the BLIS/GotoBLAS loop
 * nest, written for WASM SIMD128):
 *
 *   for jc in N by NC:                         B block [KC × NC] packed into NR-wide panels (fits L2)
 *     for pc in K by KC:
 *       pack B[pc.., jc..]
 *       for ic in M by MC:                     A block [MC × KC] packed into MR-tall panels (fits L2/L1)
 *         pack A[ic.., pc..]
 *         for jr, ir: micro-kernel MR × NR     8 accumulators of 4 lanes live in registers for KC steps
 *
 * Any strides are accepted (transposed operands are just other strides): packing reads them once and the
 * micro-kernel only ever streams contiguous panels. Edges are zero-padded in the panels and masked on store.
 * Products with few rows (decode, M ≤ 3) skip packing and stream B directly (gemv-like kernels).
 * fh_gemm splits the output over the thread pool (by column panels, or by rows when N is narrow); each thread
 * has its own packing buffers.
 */
#include <stdlib.h>

#include "fh.h"

#ifndef MR
#define MR 4
#endif
#define NR 8
#ifndef KC
#define KC 512
#endif
#ifndef MC
#define MC 96
#endif
#ifndef NC
#define NC 1024
#endif

typedef struct {
  float *a; /* MC × KC */
  float *b; /* KC × NC */
} pack_buffers;

static pack_buffers buffers[64];

static pack_buffers *buffers_of_this_thread(void) {
  pack_buffers *p = &buffers[fh_thread_index()];
  if (!p->a) {
    p->a = (float *)aligned_alloc(16, sizeof(float) * MC * KC);
    p->b = (float *)aligned_alloc(16, sizeof(float) * KC * NC);
    if (!p->a || !p->b) abort();
  }
  return p;
}

/* Allocates the packing buffers of threads [0, n) from the main thread (workers never allocate). */
FH_EXPORT void fh_gemm_prepare(int n) {
  for (int t = 0; t < n && t < 64; t++) {
    if (!buffers[t].a) {
      buffers[t].a = (float *)fh_alloc(sizeof(float) * MC * KC);
      buffers[t].b = (float *)fh_alloc(sizeof(float) * KC * NC);
    }
  }
}

/* Packs A[0..mc) × [0..kc) into MR-row panels: panel p holds, for each k, the MR values A[p·MR + i, k]. */
static void pack_a(float *dst, const float *a, long rsa, long csa, int mc, int kc) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int rows = mc - i0 < MR ? mc - i0 : MR;
    const float *src = a + (long)i0 * rsa;
    if (rows == MR && rsa == 1) {
      for (int k = 0; k < kc; k++) {
        memcpy(dst, src + (long)k * csa, sizeof(float) * MR);
        dst += MR;
      }
    } else if (rows == MR && csa == 1) {
      for (int k = 0; k < kc; k++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) dst[i] = src[(long)i * rsa + k];
        dst += MR;
      }
    } else {
      for (int k = 0; k < kc; k++) {
        for (int i = 0; i < MR; i++) dst[i] = i < rows ? src[(long)i * rsa + (long)k * csa] : 0.0f;
        dst += MR;
      }
    }
  }
}

/* Packs B[0..kc) × [0..nc) into NR-column panels: panel p holds, for each k, the NR values B[k, p·NR + j]. */
static void pack_b(float *dst, const float *b, long rsb, long csb, int kc, int nc) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int cols = nc - j0 < NR ? nc - j0 : NR;
    const float *src = b + (long)j0 * csb;
    if (cols == NR && csb == 1) {
      for (int k = 0; k < kc; k++) {
        const float *s = src + (long)k * rsb;
        wasm_v128_store(dst, wasm_v128_load(s));
        wasm_v128_store(dst + 4, wasm_v128_load(s + 4));
        dst += NR;
      }
    } else if (cols == NR && rsb == 1) {
      /* B is stored transposed (N × K, e.g. a Linear weight [out, in]): 4×4 blocks transposed in registers. */
      int k = 0;
      for (; k + 4 <= kc; k += 4) {
        for (int h = 0; h < 2; h++) {
          const float *s = src + (long)(4 * h) * csb + k;
          v128_t r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + csb), r2 = wasm_v128_load(s + 2 * csb),
                 r3 = wasm_v128_load(s + 3 * csb);
          v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(dst + 0 * NR + 4 * h, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(dst + 1 * NR + 4 * h, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(dst + 2 * NR + 4 * h, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(dst + 3 * NR + 4 * h, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
        dst += 4 * NR;
      }
      for (; k < kc; k++) {
        for (int j = 0; j < NR; j++) dst[j] = src[(long)j * csb + k];
        dst += NR;
      }
    } else {
      for (int k = 0; k < kc; k++) {
        for (int j = 0; j < NR; j++) dst[j] = j < cols ? src[(long)k * rsb + (long)j * csb] : 0.0f;
        dst += NR;
      }
    }
  }
}

/* The MR × NR micro-kernel: C[MR × NR] (+)= Apanel · Bpanel over kc steps; 2·MR accumulators stay in registers
 * (4 × 8: 8 accumulators + 2 B vectors + 1 A splat; 6 × 8 spills on x64, whose V8 has 15 allocatable xmm registers). */
static void micro_kernel(int kc, const float *pa, const float *pb, float *c, long ldc, int accumulate, int rows,
                         int cols) {
  v128_t acc[MR][2];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = wasm_f32x4_splat(0);
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(pb), b1 = wasm_v128_load(pb + 4);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      v128_t a = wasm_v128_load32_splat(pa + i);
      acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(a, b0));
      acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(a, b1));
    }
    pa += MR;
    pb += NR;
  }
  if (rows == MR && cols == NR) {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      float *ci = c + (long)i * ldc;
      if (accumulate) {
        acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_v128_load(ci));
        acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_v128_load(ci + 4));
      }
      wasm_v128_store(ci, acc[i][0]);
      wasm_v128_store(ci + 4, acc[i][1]);
    }
    return;
  }
  float tile[MR][NR];
  for (int i = 0; i < MR; i++) {
    wasm_v128_store(&tile[i][0], acc[i][0]);
    wasm_v128_store(&tile[i][4], acc[i][1]);
  }
  for (int i = 0; i < rows; i++) {
    float *ci = c + (long)i * ldc;
    for (int j = 0; j < cols; j++) ci[j] = accumulate ? ci[j] + tile[i][j] : tile[i][j];
  }
}

/* Few rows (M ≤ 3): C[i, :] (+)= Σ_k A[i,k]·B[k, :] streamed over B without packing. */
static void gemm_few_rows(int M, int N, int K, const float *a, long rsa, long csa, const float *b, long rsb, long csb,
                          float *c, long ldc, int accumulate) {
  for (int i = 0; i < M; i++) {
    float *ci = c + (long)i * ldc;
    const float *ai = a + (long)i * rsa;
    if (csb == 1) {
      /* rows of B are contiguous: axpy over each row */
      if (!accumulate) memset(ci, 0, sizeof(float) * (size_t)N);
      int j4 = N & ~3;
      for (int k = 0; k < K; k++) {
        float av = ai[(long)k * csa];
        v128_t va = wasm_f32x4_splat(av);
        const float *bk = b + (long)k * rsb;
        int j = 0;
        for (; j < j4; j += 4) wasm_v128_store(ci + j, wasm_f32x4_add(wasm_v128_load(ci + j), wasm_f32x4_mul(va, wasm_v128_load(bk + j))));
        for (; j < N; j++) ci[j] += av * bk[j];
      }
    } else if (rsb == 1 && csa == 1) {
      /* columns of B are contiguous (B transposed): one dot product per output */
      int k4 = K & ~15;
      for (int j = 0; j < N; j++) {
        const float *bj = b + (long)j * csb;
        v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
        int k = 0;
        for (; k < k4; k += 16) {
          s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(ai + k), wasm_v128_load(bj + k)));
          s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(ai + k + 4), wasm_v128_load(bj + k + 4)));
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(ai + k + 8), wasm_v128_load(bj + k + 8)));
          s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(ai + k + 12), wasm_v128_load(bj + k + 12)));
        }
        float s = fh_hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
        for (; k < K; k++) s += ai[k] * bj[k];
        ci[j] = accumulate ? ci[j] + s : s;
      }
    } else {
      for (int j = 0; j < N; j++) {
        float s = 0;
        for (int k = 0; k < K; k++) s += ai[(long)k * csa] * b[(long)k * rsb + (long)j * csb];
        ci[j] = accumulate ? ci[j] + s : s;
      }
    }
  }
}

void fh_gemm_serial(int M, int N, int K, const float *a, long rsa, long csa, const float *b, long rsb, long csb,
                    float *c, long ldc, int accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) memset(c + (long)i * ldc, 0, sizeof(float) * (size_t)N);
    return;
  }
  if (M <= 3) {
    gemm_few_rows(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
    return;
  }
  pack_buffers *buf = buffers_of_this_thread();
  for (int jc = 0; jc < N; jc += NC) {
    int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      int acc = accumulate || pc > 0;
      pack_b(buf->b, b + (long)pc * rsb + (long)jc * csb, rsb, csb, kc, nc);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = M - ic < MC ? M - ic : MC;
        pack_a(buf->a, a + (long)ic * rsa + (long)pc * csa, rsa, csa, mc, kc);
        for (int jr = 0; jr < nc; jr += NR) {
          int cols = nc - jr < NR ? nc - jr : NR;
          const float *pb = buf->b + (long)jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            int rows = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, buf->a + (long)ir * kc, pb, c + (long)(ic + ir) * ldc + jc + jr, ldc, acc, rows, cols);
          }
        }
      }
    }
  }
}

typedef struct {
  int M, N, K, by_rows, step;
  const float *a, *b;
  long rsa, csa, rsb, csb, ldc;
  float *c;
  int accumulate;
} gemm_job;

static void gemm_task(void *ctx, int begin, int end) {
  const gemm_job *j = (const gemm_job *)ctx;
  int lo = begin * j->step, hi = end * j->step;
  if (j->by_rows) {
    if (hi > j->M) hi = j->M;
    fh_gemm_serial(hi - lo, j->N, j->K, j->a + (long)lo * j->rsa, j->rsa, j->csa, j->b, j->rsb, j->csb,
                   j->c + (long)lo * j->ldc, j->ldc, j->accumulate);
  } else {
    if (hi > j->N) hi = j->N;
    fh_gemm_serial(j->M, hi - lo, j->K, j->a, j->rsa, j->csa, j->b + (long)lo * j->csb, j->rsb, j->csb, j->c + lo,
                   j->ldc, j->accumulate);
  }
}

void fh_gemm(int M, int N, int K, const float *a, long rsa, long csa, const float *b, long rsb, long csb, float *c,
             long ldc, int accumulate) {
  int threads = fh_num_threads();
  double work = (double)M * N * (K > 0 ? K : 1);
  if (threads <= 1 || work < 2.0 * FH_MIN_PIECE_WORK) {
    fh_gemm_serial(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
    return;
  }
  gemm_job j = {M, N, K, 0, 0, a, b, rsa, csa, rsb, csb, ldc, c, accumulate};
  /* Split the wider side: columns in multiples of NR (A is then packed by every thread, B once per thread's
     share), rows in multiples of MR. */
  int units;
  if (N >= M || M <= 3 * MR) {
    j.by_rows = 0;
    units = (N + NR - 1) / NR;
    j.step = NR * ((units + threads - 1) / threads);
    units = (N + j.step - 1) / j.step;
  } else {
    j.by_rows = 1;
    units = (M + MR - 1) / MR;
    j.step = MR * ((units + threads - 1) / threads);
    units = (M + j.step - 1) / j.step;
  }
  fh_parallel_for(units, 1, gemm_task, &j);
}
