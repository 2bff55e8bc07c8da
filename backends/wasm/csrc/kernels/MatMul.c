/*
 * MatMul: batched matrix product. a [...batchA, M, K] (transposeA: [..., K, M]), b [...batchB, K, N]
 * (transposeB: [..., N, K]); y [...batch, M, N]. `info` describes the broadcast batch as in elementwise.h:
 * [rank, batch shape, a's matrix strides, b's matrix strides] (rank 0: one product). f32 (compute form) through
 * fh_gemm, rounded to `dtype`; i32 with wrapping arithmetic.
 */
#include "../elementwise.h"

typedef struct {
  float *y;
  const float *a, *b;
  const int *info;
  int M, N, K, transA, transB;
} matmul_job;

static void matrix_offsets(const int *info, long index, long *oa, long *ob) {
  int rank = info[0];
  *oa = 0;
  *ob = 0;
  for (int d = rank - 1; d >= 0; d--) {
    long coord = index % info[1 + d];
    index /= info[1 + d];
    *oa += coord * info[1 + rank + d];
    *ob += coord * info[1 + 2 * rank + d];
  }
}

static void one_product(const matmul_job *j, long index, int parallel) {
  long oa, ob;
  matrix_offsets(j->info, index, &oa, &ob);
  int M = j->M, N = j->N, K = j->K;
  const float *a = j->a + oa * M * K, *b = j->b + ob * K * N;
  long rsa = j->transA ? 1 : K, csa = j->transA ? M : 1;
  long rsb = j->transB ? 1 : N, csb = j->transB ? K : 1;
  float *y = j->y + index * M * N;
  if (parallel)
    fh_gemm(M, N, K, a, rsa, csa, b, rsb, csb, y, N, 0);
  else
    fh_gemm_serial(M, N, K, a, rsa, csa, b, rsb, csb, y, N, 0);
}

static void products(void *p, int begin, int end) {
  for (int i = begin; i < end; i++) one_product((const matmul_job *)p, i, 0);
}

FH_EXPORT void MatMul(void *y, const void *a, const void *b, const int *info, int M, int N, int K, int transA,
                      int transB, int dtype) {
  long batch = 1;
  for (int d = 0; d < info[0]; d++) batch *= info[1 + d];
  if (dtype == FH_I32) {
    for (long index = 0; index < batch; index++) {
      long oa, ob;
      matrix_offsets(info, index, &oa, &ob);
      const int32_t *ai = (const int32_t *)a + oa * M * K, *bi = (const int32_t *)b + ob * K * N;
      int32_t *yi = (int32_t *)y + index * M * N;
      for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
          uint32_t s = 0;
          for (int k = 0; k < K; k++)
            s += (uint32_t)ai[transA ? (long)k * M + m : (long)m * K + k] *
                 (uint32_t)bi[transB ? (long)n * K + k : (long)k * N + n];
          yi[(long)m * N + n] = (int32_t)s;
        }
    }
    return;
  }
  matmul_job j = {(float *)y, (const float *)a, (const float *)b, info, M, N, K, transA, transB};
  double work = (double)M * N * (K > 0 ? K : 1);
  if (batch > 1 && work < 256.0 * 256 * 64) {
    /* many small products: one per task */
    fh_parallel_for_work((int)batch, work, products, &j);
  } else {
    for (long index = 0; index < batch; index++) one_product(&j, index, 1);
  }
  fh_round_array((float *)y, (size_t)(batch * M * N), dtype);
}
