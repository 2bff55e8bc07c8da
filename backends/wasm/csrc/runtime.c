/*
 * runtime.c — the backend's runtime: start-up, scratch allocation, output rounding and the thread pool.
 *
 * Tensors are allocated by the TypeScript side with `malloc`/`free` (emscripten's dlmalloc: a binned free-list
 * allocator over the growable heap; freed blocks are reused, the heap grows up to 4 GB and never shrinks).
 *
 * Thread pool (threads build, FH_THREADS): `fh_init(n)` starts n−1 pthreads once; they live until the module is
 * torn down and wait for work on a futex (after a short spin, so back-to-back kernels do not pay a wake-up).
 * `fh_parallel_for` publishes one job — a task and a range split into pieces — and the caller works on it too;
 * pieces are claimed with a compare-and-swap on one 64-bit word holding (job generation, next piece), so a
 * thread that wakes late can never run a piece of a later job by mistake. A parallel_for called from inside a
 * task runs serially on that thread.
 */
#include <stdlib.h>

#include "fh.h"

/* ----------------------------------------------------------------------------------------- out of memory */

EM_JS(void, fh_js_out_of_memory, (double bytes), {
  throw new Error('wasm backend: out of memory allocating ' + bytes + ' bytes of kernel scratch (the wasm heap is limited to 4 GB)');
});

void *fh_alloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) fh_js_out_of_memory((double)bytes);
  return p;
}

void fh_free(void *p) { free(p); }

/* -------------------------------------------------------------------------------------------- rounding */

void fh_round_array(float *y, size_t n, int rnd) {
  if (rnd == FH_F32) return;
  size_t i = 0;
  if (rnd == FH_BF16) {
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, fh_round_bf16_x4(wasm_v128_load(y + i)));
    for (; i < n; i++) y[i] = fh_round_bf16(y[i]);
  } else {
    for (; i < n; i++) y[i] = fh_round_f16(y[i]);
  }
}

/* Widens 16-bit floats (bits) to compute-form f32: dtype FH_BF16 or FH_F16. Used by `write`. */
FH_EXPORT void fh_widen16(float *y, const uint16_t *bits, int n, int dtype) {
  int i = 0;
  if (dtype == FH_BF16) {
    for (; i + 4 <= n; i += 4) {
      v128_t h = wasm_v128_load64_zero(bits + i);
      wasm_v128_store(y + i, wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16));
    }
    for (; i < n; i++) y[i] = fh_from_bits((uint32_t)bits[i] << 16);
  } else {
    for (; i < n; i++) y[i] = fh_f16_bits_to_f32(bits[i]);
  }
}

/* Narrows compute-form f32 (already representable) to 16-bit bits. Used by `read`. */
FH_EXPORT void fh_narrow16(uint16_t *bits, const float *x, int n, int dtype) {
  if (dtype == FH_BF16) {
    for (int i = 0; i < n; i++) bits[i] = (uint16_t)(fh_bits(fh_round_bf16(x[i])) >> 16);
  } else {
    for (int i = 0; i < n; i++) bits[i] = fh_f32_to_f16_bits(x[i]);
  }
}

/* -------------------------------------------------------------------------------------------- threads */

#ifdef FH_THREADS
#include <pthread.h>
#include <stdatomic.h>

#define FH_MAX_THREADS 64
#define FH_SPIN 20000

static int pool_size = 1;
static _Atomic int workers_started = 0;
static _Atomic int job_gen = 0;         /* futex word: bumped once per job */
static _Atomic uint64_t job_word = 0;   /* (generation << 32) | next piece */
static _Atomic int job_done = 0;        /* pieces finished */
static fh_task job_task;
static void *job_ctx;
static int job_n, job_pieces, job_piece_size;
static _Thread_local int thread_index = 0;
static _Thread_local int inside_task = 0;

static void run_pieces(uint32_t gen) {
  for (;;) {
    uint64_t w = atomic_load(&job_word);
    if ((uint32_t)(w >> 32) != gen) return;
    uint32_t piece = (uint32_t)w;
    if ((int)piece >= job_pieces) return;
    if (!atomic_compare_exchange_weak(&job_word, &w, w + 1)) continue;
    int begin = (int)piece * job_piece_size;
    int end = begin + job_piece_size < job_n ? begin + job_piece_size : job_n;
    job_task(job_ctx, begin, end);
    atomic_fetch_add(&job_done, 1);
  }
}

static void *worker_main(void *arg) {
  thread_index = (int)(intptr_t)arg;
  inside_task = 1;
  atomic_fetch_add(&workers_started, 1);
  int seen = 0;
  for (;;) {
    int gen;
    int spins = 0;
    while ((gen = atomic_load(&job_gen)) == seen) {
      if (++spins > FH_SPIN) __builtin_wasm_memory_atomic_wait32((int *)&job_gen, seen, -1);
    }
    seen = gen;
    run_pieces((uint32_t)gen);
  }
  return 0;
}

int fh_num_threads(void) { return pool_size; }
int fh_thread_index(void) { return thread_index; }

void fh_parallel_for(int n, int grain, fh_task task, void *ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (pool_size <= 1 || inside_task || n <= grain) {
    task(ctx, 0, n);
    return;
  }
  int pieces = (n + grain - 1) / grain;
  int most = pool_size * 4; /* a few pieces per thread balance uneven work */
  if (pieces > most) pieces = most;
  job_piece_size = (n + pieces - 1) / pieces;
  job_pieces = (n + job_piece_size - 1) / job_piece_size;
  job_n = n;
  job_task = task;
  job_ctx = ctx;
  atomic_store(&job_done, 0);
  uint32_t gen = (uint32_t)atomic_load(&job_gen) + 1u;
  atomic_store(&job_word, (uint64_t)gen << 32);
  atomic_store(&job_gen, (int)gen);
  __builtin_wasm_memory_atomic_notify((int *)&job_gen, (unsigned)-1);
  inside_task = 1;
  run_pieces(gen);
  inside_task = 0;
  while (atomic_load(&job_done) < job_pieces) {
  }
}

/* Starts the pool: n threads in all (the caller included). Returns the pool size. */
FH_EXPORT int fh_start_threads(int n) {
  if (n > FH_MAX_THREADS) n = FH_MAX_THREADS;
  for (int i = pool_size; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, 0, worker_main, (void *)(intptr_t)i) != 0) break;
    pthread_detach(t);
    pool_size = i + 1;
  }
  return pool_size;
}

/* How many pool threads are running (the caller polls this after fh_start_threads). */
FH_EXPORT int fh_threads_started(void) { return atomic_load(&workers_started); }

#else

int fh_num_threads(void) { return 1; }
int fh_thread_index(void) { return 0; }
void fh_parallel_for(int n, int grain, fh_task task, void *ctx) {
  (void)grain;
  if (n > 0) task(ctx, 0, n);
}
FH_EXPORT int fh_start_threads(int n) {
  (void)n;
  return 1;
}
FH_EXPORT int fh_threads_started(void) { return 0; }

#endif

FH_EXPORT int fh_pool_size(void) { return fh_num_threads(); }

/* Build identity, checked by the loader against the TypeScript side. */
FH_EXPORT int fh_abi_version(void) { return 1; }
