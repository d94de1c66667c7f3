/* bench_clone: how fast the cloning trainer runs, against the roofline of
 * the same machine measured in the same run.
 *
 * Workloads (select with --workloads a,b,...; default all; the family
 * workloads' modes with --modes stochastic,unit,moment):
 *   gemm_ref     cblas_sgemm on 1024^3 and on every matrix-product shape of
 *                the steps below, and the memory bandwidth of a streaming
 *                pass: the roofline the steps are compared with
 *   t2_family    family cloning of the 3x3 valid convolution on 28x28,
 *                B = 9 blocks, K = 16 kernels and N = 64 Gaussian inputs a
 *                step, AdamW; modes stochastic, unit and moment
 *   c4_family    the same for the C4 lifting convolution
 *   t2_instance  one fixed 8-channel circular 3x3 convolution on 28x28
 *                (1 -> 8 channels) cloned into a dense 784 -> 6272 layer,
 *                batch 64, AdamW
 *   converge     seconds of training until the Toeplitz distance of the
 *                t2_family student is <= 1e-3, per mode (capped)
 *   net          forward / backward images per second of a cloned
 *                convolution layer beside the teacher group convolution,
 *                and its training step against its roofline
 *   net_gcnn     the training step of the rotation experiment's cloned
 *                G-CNN (28x28, batch 32), retain and break mode, against
 *                its roofline
 *
 * Every figure is printed as name=value, after the lines workload=NAME,
 * threads=N and mode=NAME that it belongs to:
 *   ms_per_step     median over the repetitions, after a warm-up
 *   pairs_per_s     (input, kernel) pairs per second (N*K per step; n/a
 *                   for moment mode, which uses no pairs)
 *   gflops          the step's matrix-product work (the shapes listed by
 *                   gemm_ref) divided by the step time
 *   roofline_ms     those products at the rate cblas_sgemm reached on the
 *                   same shapes in this run, plus the optimizer's memory
 *                   traffic (parameters, gradient and two moments read,
 *                   three written; in the family workloads the blocks'
 *                   gradient is formed inside the update and never
 *                   stored) at the measured bandwidth
 *   roofline_frac   roofline_ms / ms_per_step
 *   allocs_per_step malloc/calloc/realloc calls per step made by the
 *                   library inside the timed loop (glibc only), and
 *   blas_allocs_per_step  those made by anything else (OpenBLAS allocates
 *                   a job table on each threaded call)
 *   peak_rss_mb     peak resident memory of the workload (getrusage)
 *
 *   train_step_ms, train_roofline_ms, train_roofline_frac (net, net_gcnn):
 *                   a training step (symclone_net_train on one batch) and
 *                   the products it needs (the forward pass, and of the
 *                   backward pass only what training needs) at the better
 *                   of sgemm threaded on each product or the per-sample
 *                   products shared among the threads at sgemm's 1-thread
 *                   rate, plus AdamW's traffic at the measured bandwidth
 *
 *   memory_roofline_ms, memory_roofline_frac (moment mode): the bytes the
 *                   step's passes over the blocks and the optimizer must
 *                   move at the measured bandwidth; the moment objective is
 *                   memory-bound, its products run in the library's own
 *                   passes
 *
 * Each thread count N of --threads (1,2 by default) is given to the BLAS
 * through openblas_set_num_threads when the BLAS has it (with another BLAS
 * the line blas_threads= says what that BLAS uses), to the trainer as
 * SYMCLONE_TRAINER_THREADS, and to the bandwidth measurement.  With more than
 * one thread, run it as OPENBLAS_THREAD_TIMEOUT=4 bench_clone (printed as
 * openblas_thread_timeout=): OpenBLAS's idle workers then sleep at once
 * instead of spinning on the cores the trainer's own threads need.
 *
 *   bench_clone                          # everything (about 12 minutes)
 *   bench_clone --quick                  # short sanity run
 *   bench_clone --workloads t2_family --threads 2 --reps 21
 *   bench_clone --workloads t2_family,c4_family --modes moment
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cblas.h>
#include <symclone/symclone.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- counting allocations ----------------------------------------------- */

#if defined(__GLIBC__)
#include <link.h>
#include <malloc.h>
#include <stdint.h>
/* The program's own malloc family, forwarding to glibc's: every allocation
 * of the process is counted, as made by the library (the caller's address
 * lies in libsymclone's mapping) or by anything else (BLAS, libc). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
static atomic_long lib_allocs, other_allocs;
static uintptr_t lib_lo, lib_hi;
static void count_alloc(void *caller) {
  uintptr_t a = (uintptr_t)caller;
  atomic_fetch_add_explicit(a >= lib_lo && a < lib_hi ? &lib_allocs : &other_allocs, 1,
                            memory_order_relaxed);
}
void *malloc(size_t size) {
  count_alloc(__builtin_return_address(0));
  return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
  count_alloc(__builtin_return_address(0));
  return __libc_calloc(count, size);
}
void *realloc(void *p, size_t size) {
  count_alloc(__builtin_return_address(0));
  return __libc_realloc(p, size);
}
void free(void *p) { __libc_free(p); }
/* the library's large arrays are aligned to 2 MB (lib/common/alloc.c) */
extern void *__libc_memalign(size_t alignment, size_t size);
int posix_memalign(void **out, size_t alignment, size_t size) {
  count_alloc(__builtin_return_address(0));
  void *p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

static int find_mapping(struct dl_phdr_info *info, size_t size, void *data) {
  uintptr_t target = *(uintptr_t *)data;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (ph->p_type == PT_LOAD && target >= lo && target < hi) {
      lib_lo = lo;
      lib_hi = hi;
      return 1;
    }
  }
  return 0;
}

static void locate_library(void) {
  void *f = dlsym(RTLD_DEFAULT, "symclone_trainer_step");
  uintptr_t target = (uintptr_t)f;
  if (f) dl_iterate_phdr(find_mapping, &target);
}
static long lib_allocs_now(void) { return atomic_load(&lib_allocs); }
static long other_allocs_now(void) { return atomic_load(&other_allocs); }
#define COUNTS_ALLOCS 1
#else
static void locate_library(void) {}
static long lib_allocs_now(void) { return 0; }
static long other_allocs_now(void) { return 0; }
#define COUNTS_ALLOCS 0
#endif

/* ---- clock, statistics, memory ------------------------------------------ */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Reset the peak-RSS mark (Linux), so each workload reports its own. */
static void reset_peak_rss(void) {
#if defined(__GLIBC__)
  malloc_trim(0); /* give back what earlier workloads freed: the peak is this one's */
#endif
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f) {
    fputs("5", f);
    fclose(f);
  }
}

/* VmHWM, which clear_refs resets; getrusage's maximum is not reset, and
 * every thread that exits (the bandwidth measurement's) folds the peak so
 * far into it. */
static double peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb >= 0) return (double)kb / 1024.0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "bench_clone: out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

/* ---- BLAS threads ------------------------------------------------------- */

static void (*blas_set_threads)(int);
static int (*blas_get_threads)(void);
static char *(*blas_config)(void);
static char *(*blas_corename)(void);

static void find_blas_controls(void) {
  void *f = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (f) memcpy(&blas_set_threads, &f, sizeof f);
  f = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  if (f) memcpy(&blas_get_threads, &f, sizeof f);
  f = dlsym(RTLD_DEFAULT, "openblas_get_config");
  if (f) memcpy(&blas_config, &f, sizeof f);
  f = dlsym(RTLD_DEFAULT, "openblas_get_corename");
  if (f) memcpy(&blas_corename, &f, sizeof f);
}

static int blas_threads(int n) {
  if (blas_set_threads) blas_set_threads(n);
  return blas_get_threads ? blas_get_threads() : 1;
}

static int trainer_threads; /* SYMCLONE_TRAINER_THREADS of every trainer */

/* Switch the BLAS and the trainers to n threads, saying so when it changes. */
static void use_threads(int n) {
  static int current = -1;
  trainer_threads = n;
  if (n == current) return;
  current = n;
  printf("blas_threads=%d\n", blas_threads(n));
}

/* ---- matrix-product shapes and the roofline ------------------------------ */

/* One product C (m x n) = op(A) op(B), op(A) m x k, as the step needs it. */
typedef struct shape {
  const char *what;
  int m, n, k;
  int ta, tb;
  double ms; /* measured by gemm_ref at the current thread count */
} shape;

#define MAX_SHAPES 128
static shape shapes[MAX_SHAPES];
static int nshapes;
static double bandwidth_gbs; /* streaming bandwidth at the current thread count */

static int shape_index(const char *what, int m, int n, int k, int ta, int tb) {
  for (int i = 0; i < nshapes; i++)
    if (shapes[i].m == m && shapes[i].n == n && shapes[i].k == k && shapes[i].ta == ta &&
        shapes[i].tb == tb)
      return i;
  if (nshapes == MAX_SHAPES) {
    fprintf(stderr, "bench_clone: too many shapes\n");
    exit(1);
  }
  shapes[nshapes] = (shape){what, m, n, k, ta, tb, -1.0};
  return nshapes++;
}

/* bytes the optimizer must move: p, g, m, v read; p, m, v written */
static double optimizer_bytes(size_t nparams) { return 7.0 * 4.0 * (double)nparams; }

/* A step's products: indices into shapes[] and the optimizer's parameter
 * count. */
typedef struct step_model {
  int idx[12], count;
  double flops;
  size_t nparams;
  double opt_bytes;  /* what the update moves (optimizer_bytes unless fused) */
  double pass_bytes; /* moment mode: the other passes over the blocks */
} step_model;

static void model_add(step_model *sm, const char *what, int m, int n, int k, int ta, int tb) {
  sm->idx[sm->count++] = shape_index(what, m, n, k, ta, tb);
  sm->flops += 2.0 * m * n * k;
}

/* The products of a family step, as the trainer does them (one product
 * over the whole batch each, docs/performance.md), with every size taken
 * from the student's public geometry: in_n input and out_n output
 * orientations of in_hw and out_hw pixels, B blocks, a k x k kernel,
 * theta of P floats, K kernels and N inputs a step.  V = W X^T (B out_hw
 * rows per input orientation), the error E = [C | -Kx] [V; im2col(X)]
 * (inner dimension in_n (B + k^2); Kx = Theta kappa, the teacher's
 * kernels of the K draws), dC = E V^T (a pass of the library's own,
 * charged here at sgemm's rate for its shape), dV = C^T E, dW = dV X; the
 * moment objective needs G = W W^T and (C^T C) W only. */
static step_model family_model(const symclone_student *s, int K, int N, int mode) {
  int ishape[4], oshape[4];
  symclone_student_input_shape(s, ishape);
  symclone_student_output_shape(s, oshape);
  int in_n = ishape[1], in_hw = ishape[2] * ishape[3], out_n = oshape[1];
  int out_hw = oshape[2] * oshape[3], B = symclone_student_blocks(s);
  int taps = symclone_student_kernel(s) * symclone_student_kernel(s);
  size_t nparams = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  double nb = (double)symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  int bsz = (int)(nb / B); /* the floats of one block */
  step_model sm = {{0}, 0, 0.0, nparams, optimizer_bytes(nparams), 0.0};
  if (mode == SYMCLONE_OBJECTIVE_MOMENT) {
    model_add(&sm, "gram", B, B, bsz, 0, 1);
    model_add(&sm, "ctc_w", B, bsz, B, 0, 0);
    /* G = W W^T reads the blocks; the update forms dW = (C^T C) W - E.Shift
     * as it goes, so for the blocks it reads and writes the parameters and
     * the two moments but no gradient (the clipping norm comes from G) */
    sm.pass_bytes = 4.0 * nb;
    sm.opt_bytes = optimizer_bytes(nparams) - 4.0 * nb;
    return sm;
  }
  int nout = N * out_hw, kv = in_n * B;
  model_add(&sm, "project", B * out_hw, N, in_hw, 0, 1);
  model_add(&sm, "residual", K * out_n, nout, kv + in_n * taps, 0, 0);
  model_add(&sm, "combine_dc", K * out_n, kv, nout, 0, 1);
  model_add(&sm, "combine_dv", kv, nout, K * out_n, 1, 0);
  model_add(&sm, "project_dw", B * out_hw, in_hw, N, 0, 0);
  /* the students here have one input channel and train with AdamW, one
   * micro-batch a step: the update forms dW = dV X a few rows at a time
   * (charged above at sgemm's rate) and never stores it, so for the blocks
   * it moves the parameters and the two moments only */
  sm.opt_bytes = optimizer_bytes(nparams) - 4.0 * nb;
  return sm;
}

static step_model instance_model(int in, int out, int cout, int ckk, int N, size_t nparams) {
  step_model sm = {{0}, 0, 0.0, nparams, optimizer_bytes(nparams), 0.0};
  model_add(&sm, "teacher", cout, N * (out / cout), ckk, 0, 0);
  model_add(&sm, "dense_fwd", N, out, in, 0, 1);
  model_add(&sm, "dense_dw", out, in, N, 1, 0);
  return sm;
}

static double roofline_ms(const step_model *sm) {
  double ms = 0.0;
  for (int i = 0; i < sm->count; i++) ms += shapes[sm->idx[i]].ms;
  return ms + 1e3 * sm->opt_bytes / (bandwidth_gbs * 1e9);
}

static double time_gemm(const shape *s, int reps) {
  size_t asz = (size_t)s->m * s->k, bsz = (size_t)s->k * s->n, csz = (size_t)s->m * s->n;
  float *a = xmalloc(asz * sizeof *a), *b = xmalloc(bsz * sizeof *b), *c = xmalloc(csz * 4);
  for (size_t i = 0; i < asz; i++) a[i] = (float)((i * 7 % 13) - 6) * 0.1f;
  for (size_t i = 0; i < bsz; i++) b[i] = (float)((i * 5 % 11) - 5) * 0.1f;
  memset(c, 0, csz * sizeof *c);
  int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
  double *t = xmalloc((size_t)reps * sizeof *t);
  for (int r = -2; r < reps; r++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f,
                c, s->n);
    if (r >= 0) t[r] = now() - t0;
  }
  double ms = 1e3 * median(t, reps);
  free(t);
  free(a);
  free(b);
  free(c);
  return ms;
}

/* The bandwidth the optimizer's traffic gets: its own memory pattern without
 * its arithmetic.  Four arrays of n floats (the size of the optimizer's
 * state: parameters, gradient and two moments, 76 MB for n = 4.77 M, more
 * than this machine keeps in its cache), three read and written back, one
 * read: a[i] = a[i] h + d[i], the same for b and c; 28 bytes an element, as
 * the optimizer counts (optimizer_bytes).  With the optimizer's software
 * prefetch, so that the figure is the best this pattern gets.  The range
 * is split over `threads` threads that are started once and wait spinning
 * between repetitions, so that a repetition times the streaming alone. */
typedef struct stream_ctx {
  float *a, *b, *c;
  const float *d;
  size_t n;
  int threads;
  atomic_int generation, done, quit;
} stream_ctx;

typedef struct stream_arg {
  stream_ctx *ctx;
  int index;
} stream_arg;

static void stream_part(stream_ctx *x, int index) {
  size_t lo = x->n * (size_t)index / (size_t)x->threads;
  size_t hi = x->n * (size_t)(index + 1) / (size_t)x->threads;
  float *a = x->a, *b = x->b, *c = x->c;
  const float *d = x->d;
  size_t i = lo;
#ifdef __SSE2__ /* vectorised whatever the optimisation level: memory, not arithmetic */
  __m128 h = _mm_set1_ps(0.5f);
  for (; i + 4 <= hi; i += 4) {
    if ((i & 15) == 0 && i + 256 < hi) {
      _mm_prefetch((const char *)(a + i + 256), _MM_HINT_T0);
      _mm_prefetch((const char *)(b + i + 256), _MM_HINT_T0);
      _mm_prefetch((const char *)(c + i + 256), _MM_HINT_T0);
      _mm_prefetch((const char *)(d + i + 256), _MM_HINT_T0);
    }
    __m128 di = _mm_loadu_ps(d + i);
    _mm_storeu_ps(a + i, _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(a + i), h), di));
    _mm_storeu_ps(b + i, _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(b + i), h), di));
    _mm_storeu_ps(c + i, _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(c + i), h), di));
  }
#endif
  for (; i < hi; i++) {
    a[i] = a[i] * 0.5f + d[i];
    b[i] = b[i] * 0.5f + d[i];
    c[i] = c[i] * 0.5f + d[i];
  }
}

static void *stream_worker(void *arg) {
  stream_arg *sa = arg;
  stream_ctx *c = sa->ctx;
  int seen = 0;
  for (;;) {
    int g;
    while ((g = atomic_load(&c->generation)) == seen && !atomic_load(&c->quit)) {
    }
    if (atomic_load(&c->quit)) return NULL;
    seen = g;
    stream_part(c, sa->index);
    atomic_fetch_add(&c->done, 1);
  }
}

static double measure_bandwidth(size_t n, int reps, int threads) {
  float *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b), *c = xmalloc(n * sizeof *c);
  float *d = xmalloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++) {
    a[i] = (float)(i % 17);
    b[i] = (float)(i % 5);
    c[i] = 1.0f;
    d[i] = (float)(i % 3); /* every value moves towards 2 d[i] */
  }
  stream_ctx x = {.a = a, .b = b, .c = c, .d = d, .n = n, .threads = threads};
  atomic_init(&x.generation, 0);
  atomic_init(&x.done, 0);
  atomic_init(&x.quit, 0);
  pthread_t tid[256];
  stream_arg args[256];
  int started = 1;
  for (int i = 1; i < threads; i++, started++) {
    args[i] = (stream_arg){&x, i};
    if (pthread_create(&tid[i], NULL, stream_worker, &args[i])) break;
  }
  double *t = xmalloc((size_t)reps * sizeof *t);
  for (int r = -2; r < reps; r++) {
    atomic_store(&x.done, 0);
    double t0 = now();
    atomic_fetch_add(&x.generation, 1);
    for (int i = started; i < threads; i++) stream_part(&x, i); /* no thread to be had */
    stream_part(&x, 0);
    while (atomic_load(&x.done) < started - 1) {
    }
    if (r >= 0) t[r] = now() - t0;
  }
  atomic_store(&x.quit, 1);
  for (int i = 1; i < started; i++) pthread_join(tid[i], NULL);
  double sec = median(t, reps);
  free(t);
  free(a);
  free(b);
  free(c);
  free(d);
  return 28.0 * (double)n / sec / 1e9;
}

/* ---- options --------------------------------------------------------------- */

typedef struct options {
  int quick;
  int reps, warmup;
  int threads[4], nthreads;
  double cap_seconds;
  int check_every;
  int want_gemm, want_t2, want_c4, want_inst, want_conv, want_net, want_gcnn;
  int want_mode[3]; /* the family workloads' modes, in the order of modes[] */
} options;

static int parse_list(const char *s, int *out, int max) {
  int n = 0;
  while (*s && n < max) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > 256) return -1;
    out[n++] = (int)v;
    if (*end && *end != ',') return -1;
    s = *end ? end + 1 : end;
    if (*end && !*s) return -1; /* a trailing comma */
  }
  return *s ? -1 : n;           /* more than max values */
}

static void usage(FILE *to) {
  fprintf(to,
          "usage: bench_clone [--help] [--quick] [--workloads LIST] [--modes LIST]\n"
          "                   [--threads LIST] [--reps N] [--cap SECONDS] [--check-every STEPS]\n"
          "  --workloads  comma-separated: gemm_ref,t2_family,c4_family,t2_instance,\n"
          "               converge,net,net_gcnn (default: all)\n"
          "  --modes      the family workloads' modes, comma-separated:\n"
          "               stochastic,unit,moment (default: all)\n"
          "  --threads    thread counts to run with, for the BLAS and the trainer\n"
          "               (default 1,2)\n"
          "  --reps       timed steps per figure, median taken (default 15; quick 5)\n"
          "  --cap        seconds of training allowed per mode to reach a Toeplitz\n"
          "               distance of 1e-3 (default 300; quick 10)\n"
          "  --check-every  steps between distance checks (default 5)\n"
          "  --quick      few repetitions and a short cap: a sanity run\n");
}

/* A whole number in [lo, hi] that is the whole of s; 0 on success. */
static int whole_in(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int bad_value(const char *option, const char *value, const char *want) {
  fprintf(stderr, "bench_clone: %s %s: %s\n", option, value, want);
  return -1;
}

/* *flags[i] = 1 for each names[i] in the comma-separated list (all of
 * them for no list); -1 (the message printed) for an unknown name or a
 * list that names none. */
static int parse_names(const char *option, const char *list, const char *const names[],
                       int *const flags[], int count) {
  if (!list) {
    for (int i = 0; i < count; i++) *flags[i] = 1;
    return 0;
  }
  char buf[256];
  int any = 0;
  if (strlen(list) >= sizeof buf) return bad_value(option, list, "names from the list in --help");
  snprintf(buf, sizeof buf, "%s", list);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int i = 0;
    while (i < count && strcmp(tok, names[i])) i++;
    if (i == count) return bad_value(option, list, "names from the list in --help");
    *flags[i] = any = 1;
  }
  return any ? 0 : bad_value(option, list, "names from the list in --help");
}

/* 0 to run, 1 for --help, -1 for bad options (the message is printed). */
static int parse_options(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->threads[0] = 1;
  o->threads[1] = 2;
  o->nthreads = 2;
  o->check_every = 5;
  const char *workloads = NULL, *modes_list = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int takes_value = !strcmp(a, "--workloads") || !strcmp(a, "--modes") ||
                      !strcmp(a, "--threads") ||
                      !strcmp(a, "--reps") || !strcmp(a, "--cap") || !strcmp(a, "--check-every");
    const char *v = takes_value && i + 1 < argc ? argv[++i] : NULL;
    long n;
    if (takes_value && !v) {
      fprintf(stderr, "bench_clone: %s needs a value\n", a);
      return -1;
    }
    if (!strcmp(a, "--help")) {
      return 1;
    } else if (!strcmp(a, "--quick")) {
      o->quick = 1;
    } else if (!strcmp(a, "--workloads")) {
      workloads = v;
    } else if (!strcmp(a, "--modes")) {
      modes_list = v;
    } else if (!strcmp(a, "--threads")) {
      if ((o->nthreads = parse_list(v, o->threads, 4)) < 1)
        return bad_value(a, v, "up to 4 comma-separated thread counts in [1, 256]");
    } else if (!strcmp(a, "--reps")) {
      if (whole_in(v, 1, 1000000, &n)) return bad_value(a, v, "a whole number in [1, 1e6]");
      o->reps = (int)n;
    } else if (!strcmp(a, "--cap")) {
      char *end;
      o->cap_seconds = strtod(v, &end);
      if (end == v || *end || !isfinite(o->cap_seconds) || !(o->cap_seconds > 0) ||
          o->cap_seconds > 1e6)
        return bad_value(a, v, "seconds in (0, 1e6]");
    } else if (!strcmp(a, "--check-every")) {
      if (whole_in(v, 1, 1000000, &n)) return bad_value(a, v, "a whole number in [1, 1e6]");
      o->check_every = (int)n;
    } else {
      fprintf(stderr, "bench_clone: unknown option %s\n", a);
      return -1;
    }
  }
  if (!o->reps) o->reps = o->quick ? 5 : 15;
  o->warmup = o->quick ? 2 : 4;
  if (!(o->cap_seconds > 0)) o->cap_seconds = o->quick ? 10.0 : 300.0;
  static const char *const mode_names[] = {"stochastic", "unit", "moment"};
  int *mode_flags[] = {&o->want_mode[0], &o->want_mode[1], &o->want_mode[2]};
  static const char *const workload_names[] = {"gemm_ref",    "t2_family", "c4_family",
                                               "t2_instance", "converge",  "net",
                                               "net_gcnn"};
  int *workload_flags[] = {&o->want_gemm, &o->want_t2,  &o->want_c4,  &o->want_inst,
                           &o->want_conv, &o->want_net, &o->want_gcnn};
  if (parse_names("--modes", modes_list, mode_names, mode_flags, 3)) return -1;
  return parse_names("--workloads", workloads, workload_names, workload_flags, 7);
}

#define CHECK(call)                                                                         \
  do {                                                                                      \
    symclone_status st_ = (call);                                                           \
    if (st_) {                                                                              \
      fprintf(stderr, "bench_clone: %s failed: %s\n", #call, symclone_strerror(st_));      \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

static const char *mode_name(int mode) {
  return mode == SYMCLONE_OBJECTIVE_STOCHASTIC ? "stochastic"
         : mode == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? "unit"
                                                   : "moment";
}

/* ---- timing a trainer --------------------------------------------------- */

typedef struct step_figures {
  double ms, allocs, other_allocs;
} step_figures;

static step_figures time_steps(symclone_trainer *tr, const options *o) {
  for (int i = 0; i < o->warmup; i++) CHECK(symclone_trainer_step(tr, NULL, NULL));
  double *t = xmalloc((size_t)o->reps * sizeof *t);
  long a0 = lib_allocs_now(), b0 = other_allocs_now();
  for (int r = 0; r < o->reps; r++) {
    double t0 = now();
    symclone_status st = symclone_trainer_step(tr, NULL, NULL);
    t[r] = now() - t0;
    if (st) {
      fprintf(stderr, "bench_clone: step failed: %s\n", symclone_trainer_last_error(tr));
      exit(1);
    }
  }
  long a1 = lib_allocs_now(), b1 = other_allocs_now();
  step_figures f = {1e3 * median(t, o->reps), (double)(a1 - a0) / o->reps,
                    (double)(b1 - b0) / o->reps};
  free(t);
  return f;
}

static void print_figures(const step_figures *f, const step_model *sm, double pairs) {
  double roof = roofline_ms(sm);
  printf("ms_per_step=%.3f\n", f->ms);
  if (pairs > 0)
    printf("pairs_per_s=%.0f\n", pairs / (f->ms * 1e-3));
  else
    printf("pairs_per_s=n/a\n");
  printf("gflops=%.2f\n", sm->flops / (f->ms * 1e-3) / 1e9);
  printf("roofline_ms=%.3f\n", roof);
  printf("roofline_frac=%.3f\n", roof / f->ms);
  if (sm->pass_bytes > 0) {
    double mem = 1e3 * (sm->pass_bytes + sm->opt_bytes) / (bandwidth_gbs * 1e9);
    printf("memory_roofline_ms=%.3f\nmemory_roofline_frac=%.3f\n", mem, mem / f->ms);
  }
  if (COUNTS_ALLOCS)
    printf("allocs_per_step=%.2f\nblas_allocs_per_step=%.2f\n", f->allocs, f->other_allocs);
  else
    printf("allocs_per_step=n/a\nblas_allocs_per_step=n/a\n");
  printf("peak_rss_mb=%.1f\n", peak_rss_mb());
}

/* ---- family workloads ----------------------------------------------------- */

#define SIZE 28
#define KERNEL 3
#define BLOCKS 9
#define KDRAWS 16
#define NINPUTS 64

typedef struct family {
  const char *name;
  symclone_student_kind kind;
  int n;
} family;

static const family families[2] = {{"t2_family", SYMCLONE_STUDENT_PLANAR, 1},
                                   {"c4_family", SYMCLONE_STUDENT_LIFTING, 4}};
static const int modes[3] = {SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OBJECTIVE_UNIT_KERNELS,
                             SYMCLONE_OBJECTIVE_MOMENT};

static symclone_student *family_student(const family *f) {
  symclone_student *s;
  CHECK(symclone_student_create(&s, f->kind, f->n, KERNEL, SIZE, SIZE, SYMCLONE_PADDING_VALID,
                                BLOCKS, 1));
  return s;
}

/* A trainer of the family workloads: K kernels, N inputs, seed 1, the
 * round's thread count. */
static symclone_trainer *family_trainer(symclone_student *s, int mode) {
  symclone_trainer *tr;
  CHECK(symclone_trainer_create(&tr, s));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, mode));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, KDRAWS));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, NINPUTS));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, 1));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, trainer_threads));
  return tr;
}

static step_model model_of(const family *f, const symclone_student *s, int mode) {
  int P = (int)symclone_student_theta_size(s);
  int K = mode == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? P : KDRAWS;
  (void)f;
  return family_model(s, K, NINPUTS, mode);
}

static void register_family_shapes(void) {
  for (int fi = 0; fi < 2; fi++) {
    symclone_student *s = family_student(&families[fi]);
    for (int mi = 0; mi < 3; mi++) (void)model_of(&families[fi], s, modes[mi]);
    symclone_student_free(s);
  }
}

static void refresh_roofline(const step_model *sm, int threads, const options *o);

static void run_family(const family *f, int mode, int threads, const options *o) {
  symclone_student *s = family_student(f);
  step_model sm = model_of(f, s, mode);
  refresh_roofline(&sm, threads, o);
  reset_peak_rss();
  symclone_trainer *tr = family_trainer(s, mode);
  step_figures fig = time_steps(tr, o);
  int P = (int)symclone_student_theta_size(s);
  double pairs = mode == SYMCLONE_OBJECTIVE_MOMENT
                     ? 0.0
                     : (double)NINPUTS * (mode == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? P : KDRAWS);
  printf("workload=%s\nthreads=%d\nmode=%s\n", f->name, threads, mode_name(mode));
  print_figures(&fig, &sm, pairs);
  fflush(stdout);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}

/* ---- instance workload ----------------------------------------------------- */

#define INST_COUT 8

/* The instance workload's teacher (1 -> INST_COUT channels, circular)
 * and its dense student. */
static void instance_layers(symclone_layer **conv, symclone_layer **dense) {
  CHECK(symclone_layer_create_conv2d(conv, 1, INST_COUT, KERNEL, SIZE, SIZE,
                                     SYMCLONE_PADDING_CIRCULAR, 1));
  CHECK(symclone_layer_create_dense(dense, (int)symclone_layer_input_size(*conv),
                                    (int)symclone_layer_output_size(*conv), 1));
}

/* The instance step's products, from the layers' public geometry. */
static step_model instance_model_of(const symclone_layer *conv, const symclone_layer *dense) {
  int ishape[4], oshape[4];
  symclone_layer_input_shape(conv, ishape);
  symclone_layer_output_shape(conv, oshape);
  int k = symclone_layer_kernel(conv);
  return instance_model((int)symclone_layer_input_size(conv),
                        (int)symclone_layer_output_size(conv), oshape[1], ishape[1] * k * k,
                        NINPUTS, symclone_layer_param_count(dense));
}

static step_model instance_model_default(void) {
  symclone_layer *conv, *dense;
  instance_layers(&conv, &dense);
  step_model sm = instance_model_of(conv, dense);
  symclone_layer_free(conv);
  symclone_layer_free(dense);
  return sm;
}

static void run_instance(int threads, const options *o) {
  symclone_layer *conv, *dense;
  instance_layers(&conv, &dense);
  step_model model = instance_model_of(conv, dense);
  refresh_roofline(&model, threads, o);
  reset_peak_rss();
  size_t tp = symclone_layer_param_count(conv), dp = symclone_layer_param_count(dense);
  float *tparams = xmalloc(tp * sizeof *tparams), *dparams = xmalloc(dp * sizeof *dparams);
  for (size_t i = 0; i < tp; i++) tparams[i] = (float)sin(0.7 * (double)i + 0.2);
  memset(dparams, 0, dp * sizeof *dparams);
  symclone_trainer *tr;
  CHECK(symclone_trainer_create_instance(&tr, conv, tparams, dense, dparams));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, NINPUTS));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, 1));
  CHECK(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, trainer_threads));
  step_figures fig = time_steps(tr, o);
  printf("workload=t2_instance\nthreads=%d\nmode=stochastic\n", threads);
  print_figures(&fig, &model, (double)NINPUTS);
  fflush(stdout);
  symclone_trainer_free(tr);
  free(tparams);
  free(dparams);
  symclone_layer_free(conv);
  symclone_layer_free(dense);
}

/* ---- gemm_ref ------------------------------------------------------------------ */

/* The floats of the bandwidth measurement's arrays: the blocks of the
 * t2_family student, which its optimizer streams. */
static size_t stream_floats(void) {
  static size_t n;
  if (!n) {
    symclone_student *s = family_student(&families[0]);
    n = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
    symclone_student_free(s);
  }
  return n;
}

/* The roofline of one workload measured again just before it runs, at its
 * thread count: the bandwidth and its products (silently; gemm_ref prints
 * the full table once per thread count).  Each workload runs with 1 and 2
 * threads one right after the other, so that both figures and both
 * rooflines see the machine in the same state. */
static void refresh_roofline(const step_model *sm, int threads, const options *o) {
  int reps = o->quick ? 5 : 11;
  bandwidth_gbs = measure_bandwidth(stream_floats(), reps, threads);
  for (int i = 0; i < sm->count; i++) shapes[sm->idx[i]].ms = time_gemm(&shapes[sm->idx[i]], reps);
}

static void run_gemm_ref(int threads, const options *o) {
  int reps = o->quick ? 5 : 11;
  /* the bandwidth first: after a threaded call OpenBLAS's idle workers spin
   * for a while (OPENBLAS_THREAD_TIMEOUT) and would take a core from it */
  size_t nbw = stream_floats();
  double bw1 = measure_bandwidth(nbw, reps, threads);
  for (int i = 0; i < nshapes; i++) shapes[i].ms = time_gemm(&shapes[i], reps);
  printf("workload=gemm_ref\nthreads=%d\n", threads);
  shape big = {"square", 1024, 1024, 1024, 0, 0, -1.0};
  big.ms = time_gemm(&big, reps);
  printf("sgemm_1024_ms=%.3f\nsgemm_1024_gflops=%.2f\n", big.ms,
         2.0 * 1024 * 1024 * 1024 / (big.ms * 1e-3) / 1e9);
  for (int i = 0; i < nshapes; i++) {
    const shape *s = &shapes[i];
    printf("sgemm_%s_%dx%dx%d%s%s_ms=%.4f\n", s->what, s->m, s->n, s->k, s->ta ? "_ta" : "",
           s->tb ? "_tb" : "", s->ms);
    printf("sgemm_%s_%dx%dx%d%s%s_gflops=%.2f\n", s->what, s->m, s->n, s->k, s->ta ? "_ta" : "",
           s->tb ? "_tb" : "", 2.0 * s->m * s->n * s->k / (s->ms * 1e-3) / 1e9);
  }
  printf("stream_floats=%zu\nbandwidth_gbs=%.2f\n", nbw, bw1);
  fflush(stdout);
}

/* ---- time to a Toeplitz distance of 1e-3 ------------------------------------ */

static void run_converge(int threads, const options *o) {
  double secs[3];
  for (int mi = 0; mi < 3; mi++) {
    int mode = modes[mi];
    symclone_student *s = family_student(&families[0]);
    symclone_trainer *tr = family_trainer(s, mode);
    double dist = 1.0, train = 0.0;
    long long steps = 0;
    int reached = 0;
    while (train < o->cap_seconds) {
      double t0 = now();
      for (int i = 0; i < o->check_every; i++) CHECK(symclone_trainer_step(tr, NULL, NULL));
      train += now() - t0; /* the distance check below is not counted */
      steps += o->check_every;
      CHECK(symclone_student_toeplitz_distance(s, 4, 777, &dist, NULL));
      if (dist <= 1e-3) {
        reached = 1;
        break;
      }
    }
    secs[mi] = reached ? train : INFINITY;
    printf("workload=t2_family\nthreads=%d\nmode=%s\n", threads, mode_name(mode));
    if (reached)
      printf("seconds_to_1e-3=%.3f\n", train);
    else
      printf("seconds_to_1e-3=inf\n");
    printf("steps_run=%lld\ntrain_seconds=%.3f\ntoeplitz_rel_dist=%.3e\nrel_loss=%.3e\n", steps,
           train, dist, symclone_trainer_rel_loss(tr));
    fflush(stdout);
    symclone_trainer_free(tr);
    symclone_student_free(s);
  }
  /* moment against stochastic: a lower bound when stochastic ran out of time */
  double st = isinf(secs[0]) ? o->cap_seconds : secs[0];
  if (!isinf(secs[2]))
    printf("moment_speedup_to_1e-3%s=%.1f\n", isinf(secs[0]) ? "_at_least" : "",
           st / secs[2]);
  if (!isinf(secs[1]))
    printf("unit_speedup_to_1e-3%s=%.1f\n", isinf(secs[0]) ? "_at_least" : "", st / secs[1]);
}

/* ---- networks: the downstream cloned layer and the cloned G-CNN ----------- */

/* A network training step's products, each shape with the number of times
 * the step makes it, built beside the network from the public geometry of
 * its layers.  What the step needs and no more: the forward pass; for a
 * cloned layer dCbig (the gradient of theta and of the bias comes from it),
 * dV and dX where a layer before it needs its input's gradient, and the
 * blocks' gradient in break mode; for a dense layer dW and dX (not for the
 * first layer).  The small products of theta with the transforms and
 * coefficients and the element-wise layers are not charged. */
typedef struct net_model {
  int idx[64];
  double times[64];
  int count;
  double flops;
  size_t ntrain; /* AdamW's parameters */
} net_model;

static void net_add(net_model *nm, const char *what, int m, int n, int k, int ta, int tb,
                    double times) {
  if (nm->count == 64) {
    fprintf(stderr, "bench_clone: too many products in a network\n");
    exit(1);
  }
  nm->idx[nm->count] = shape_index(what, m, n, k, ta, tb);
  nm->times[nm->count++] = times;
  nm->flops += 2.0 * m * n * k * times;
}

/* A cloned layer of `student` with `cout` output channels, on a batch of
 * N: V = X W^T (one product for every input channel and orientation), then
 * per sample Y = Cbig V (Cbig: (cout out_n) x (cin in_n B)); backward per
 * sample dCbig^T = V E^T and, where needed, dV = Cbig^T E, then
 * dX = dV W and the blocks' gradient dW = dV^T X. */
static void net_add_cloned(net_model *nm, symclone_net *net, const symclone_student *s, int cout,
                           symclone_clone_mode mode, int N) {
  int first = symclone_net_layer_count(net) == 0;
  int ish[4], osh[4], nsh[4];
  symclone_student_input_shape(s, ish);
  symclone_student_output_shape(s, osh);
  symclone_net_output_shape(net, nsh); /* the network's current output: cin channels */
  int cin = nsh[0], in_n = ish[1], in_hw = ish[2] * ish[3], out_n = osh[1],
      out_hw = osh[2] * osh[3], B = symclone_student_blocks(s);
  int rows = N * cin * in_n, kd = cin * in_n * B, m = cout * out_n;
  CHECK(symclone_net_add_cloned(net, s, cout, mode, 0.0));
  net_add(nm, "net_project", rows, B * out_hw, in_hw, 0, 1, 1);
  net_add(nm, "net_combine", m, out_hw, kd, 0, 0, N);
  net_add(nm, "net_dcbig", kd, m, out_hw, 0, 1, N);
  int brk = mode == SYMCLONE_CLONE_BREAK;
  if (!first || brk) net_add(nm, "net_dv", kd, out_hw, m, 1, 0, N);
  if (!first) net_add(nm, "net_dx", rows, in_hw, B * out_hw, 0, 0, 1);
  if (brk) net_add(nm, "net_dw", B * out_hw, in_hw, rows, 1, 0, 1);
  size_t off, cnt, tr;
  CHECK(symclone_net_layer_params(net, symclone_net_layer_count(net) - 1, &off, &cnt, &tr));
  nm->ntrain += tr;
}

static void net_add_dense(net_model *nm, symclone_net *net, int out, int N) {
  int first = symclone_net_layer_count(net) == 0;
  int in = (int)symclone_net_output_size(net);
  CHECK(symclone_net_add_dense(net, out, 1));
  net_add(nm, "net_dense_fwd", N, out, in, 0, 1, 1);
  net_add(nm, "net_dense_dw", out, in, N, 1, 0, 1);
  if (!first) net_add(nm, "net_dense_dx", N, in, out, 0, 0, 1);
  nm->ntrain += (size_t)out * in + (size_t)out;
}

/* A group convolution (C4 of the current field, 3x3 valid) as the layer
 * computes it: im2col, then one product over the batch; backward the
 * filters' gradient and, not for the first layer, the columns' one. */
static void net_add_group_conv(net_model *nm, symclone_net *net, int cout, int N) {
  int first = symclone_net_layer_count(net) == 0;
  int sh[4], oh[4];
  symclone_net_output_shape(net, sh);
  CHECK(symclone_net_add_group_conv(net, cout, KERNEL, SYMCLONE_PADDING_VALID, 1));
  symclone_net_output_shape(net, oh);
  int ex_out = cout * oh[1], ckk = sh[0] * sh[1] * KERNEL * KERNEL, cols = N * oh[2] * oh[3];
  net_add(nm, "net_conv_fwd", ex_out, cols, ckk, 0, 0, 1);
  net_add(nm, "net_conv_dw", ex_out, ckk, cols, 0, 1, 1);
  if (!first) net_add(nm, "net_conv_dx", ckk, cols, ex_out, 1, 0, 1);
  nm->ntrain += (size_t)cout * sh[0] * sh[1] * KERNEL * KERNEL + (size_t)cout;
}

/* The products at the better of two ways to use `threads` cores: the BLAS
 * threaded on each product, or (for the per-sample products) the samples
 * shared among the threads, each product on one thread, at the 1-thread
 * time over `threads`.  Plus AdamW's memory traffic. */
static double net_roofline_ms(const net_model *nm, int threads, const options *o) {
  int reps = o->quick ? 5 : 11;
  bandwidth_gbs = measure_bandwidth(stream_floats(), reps, threads);
  double ms = 0.0;
  for (int i = 0; i < nm->count; i++) {
    shape *sh = &shapes[nm->idx[i]];
    sh->ms = time_gemm(sh, reps);
    double best = nm->times[i] * sh->ms;
    if (threads > 1 && nm->times[i] > 1 && blas_set_threads) {
      blas_threads(1);
      double one = time_gemm(sh, reps);
      blas_threads(threads);
      double split = ceil(nm->times[i] / threads) * one;
      if (split < best) best = split;
    }
    ms += best;
  }
  return ms + 1e3 * optimizer_bytes(nm->ntrain) / (bandwidth_gbs * 1e9);
}

/* Times a network: the forward pass, every gradient (symclone_net_gradient,
 * the frozen parameters' included) and a training step (symclone_net_train
 * on one batch: forward, the backward pass training needs, AdamW), with
 * the network's own threads and the BLAS's at `threads`. */
static void time_net(symclone_net *net, const net_model *nm, int batch, int threads,
                     const options *o) {
  CHECK(symclone_net_set(net, SYMCLONE_NET_THREADS, threads));
  CHECK(symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, batch));
  CHECK(symclone_net_set(net, SYMCLONE_NET_EPOCHS, 1));
  CHECK(symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, 1e-6));
  double roof = nm ? net_roofline_ms(nm, threads, o) : 0.0;
  size_t in = symclone_net_input_size(net), out = symclone_net_output_size(net);
  size_t np = symclone_net_param_count(net);
  float *x = xmalloc((size_t)batch * in * sizeof *x), *y = xmalloc((size_t)batch * out * sizeof *y);
  float *grad = xmalloc(np * sizeof *grad);
  int *labels = xmalloc((size_t)batch * sizeof *labels);
  for (size_t i = 0; i < (size_t)batch * in; i++) x[i] = (float)sin(0.37 * (double)i);
  for (int i = 0; i < batch; i++) labels[i] = (int)((size_t)i * 97 % out);
  double *tf = xmalloc((size_t)o->reps * sizeof *tf), *tg = xmalloc((size_t)o->reps * sizeof *tg);
  double *tt = xmalloc((size_t)o->reps * sizeof *tt);
  long lib0 = 0, other0 = 0;
  for (int r = -o->warmup; r < o->reps; r++) {
    double t0 = now();
    CHECK(symclone_net_forward(net, (size_t)batch, x, y));
    double t1 = now();
    CHECK(symclone_net_gradient(net, (size_t)batch, x, labels, NULL, grad));
    double t2 = now();
    if (r == 0) {
      lib0 = lib_allocs_now();
      other0 = other_allocs_now();
    }
    CHECK(symclone_net_train(net, x, labels, (size_t)batch));
    double t3 = now();
    if (r >= 0) {
      tf[r] = t1 - t0;
      tg[r] = t2 - t1;
      tt[r] = t3 - t2;
    }
  }
  double f = median(tf, o->reps), g = median(tg, o->reps), t = median(tt, o->reps);
  printf("available=1\nbatch=%d\nforward_ms=%.3f\nforward_images_per_s=%.0f\n", batch, 1e3 * f,
         batch / f);
  printf("forward_backward_ms=%.3f\nforward_backward_images_per_s=%.0f\n", 1e3 * g, batch / g);
  if (g > f) printf("backward_images_per_s=%.0f\n", batch / (g - f));
  printf("train_step_ms=%.3f\ntrain_images_per_s=%.0f\n", 1e3 * t, batch / t);
  if (nm) {
    printf("train_gflops=%.2f\ntrain_roofline_ms=%.3f\ntrain_roofline_frac=%.3f\n",
           nm->flops / t * 1e-9, roof, roof / (1e3 * t));
  }
  /* the training steps of the timed repetitions, the forward and gradient
   * calls between them included: 0 when nothing allocates once warm */
  printf("allocs_per_step=%.2f\nblas_allocs_per_step=%.2f\n",
         (double)(lib_allocs_now() - lib0) / o->reps,
         (double)(other_allocs_now() - other0) / o->reps);
  printf("peak_rss_mb=%.1f\n", peak_rss_mb());
  fflush(stdout);
  free(tf);
  free(tg);
  free(tt);
  free(x);
  free(y);
  free(grad);
  free(labels);
}

/* A cloned group convolution (C4, 3x3 valid, 8 -> 8 channels on 14x14, a
 * 9-block student, retain mode) and the teacher group convolution of the
 * same geometry, each alone in a network. */
static void run_net(int threads, const options *o) {
  enum { NET_N = 4, NET_C = 8, NET_HW = 14, NET_BATCH = 64 };
  symclone_student *s;
  CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, NET_N, KERNEL, NET_HW, NET_HW,
                                SYMCLONE_PADDING_VALID, BLOCKS, 1));
  for (int which = 0; which < 2; which++) {
    reset_peak_rss();
    symclone_net *net;
    CHECK(symclone_net_create(&net, NET_C, NET_N, NET_HW, NET_HW));
    net_model nm = {{0}, {0}, 0, 0.0, 0};
    if (which == 0)
      net_add_cloned(&nm, net, s, NET_C, SYMCLONE_CLONE_RETAIN, NET_BATCH);
    else
      net_add_group_conv(&nm, net, NET_C, NET_BATCH);
    printf("workload=net\nthreads=%d\nmode=%s\n", threads,
           which == 0 ? "cloned_group_conv" : "teacher_group_conv");
    time_net(net, &nm, NET_BATCH, threads, o);
    symclone_net_free(net);
  }
  symclone_student_free(s);
}

/* The cloned G-CNN of the rotation experiment (examples/rotation_generalisation,
 * default geometry: 28x28 digits, a C4 lifting layer with zero padding and
 * three C4 group convolutions, 8 channels, 9-block students, ReLU, 2x2
 * max-pooling after the first two, orientation max-pooling, global
 * average pooling, dense 8 -> 32 -> 10), batch 32, retain and break mode.
 * The students are not trained: the step's time does not depend on their
 * values. */
static void run_net_gcnn(int threads, const options *o) {
  enum { HW = 28, C = 8, BATCH = 32 };
  symclone_student *lift, *ga, *gb;
  CHECK(symclone_student_create(&lift, SYMCLONE_STUDENT_LIFTING, 4, KERNEL, HW, HW,
                                SYMCLONE_PADDING_ZERO, BLOCKS, 1));
  CHECK(symclone_student_create(&ga, SYMCLONE_STUDENT_GROUP, 4, KERNEL, HW / 2, HW / 2,
                                SYMCLONE_PADDING_ZERO, BLOCKS, 2));
  CHECK(symclone_student_create(&gb, SYMCLONE_STUDENT_GROUP, 4, KERNEL, HW / 4, HW / 4,
                                SYMCLONE_PADDING_ZERO, BLOCKS, 3));
  for (int mode = 0; mode < 2; mode++) {
    symclone_clone_mode cm = mode ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN;
    reset_peak_rss();
    symclone_net *net;
    CHECK(symclone_net_create(&net, 1, 1, HW, HW));
    net_model nm = {{0}, {0}, 0, 0.0, 0};
    for (int layer = 0; layer < 4; layer++) {
      net_add_cloned(&nm, net, layer == 0 ? lift : layer == 1 ? ga : gb, C, cm, BATCH);
      CHECK(symclone_net_add_relu(net));
      if (layer < 2) CHECK(symclone_net_add_maxpool2(net));
    }
    CHECK(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX));
    CHECK(symclone_net_add_global_avgpool(net));
    net_add_dense(&nm, net, 32, BATCH);
    CHECK(symclone_net_add_relu(net));
    net_add_dense(&nm, net, 10, BATCH);
    printf("workload=net_gcnn\nthreads=%d\nmode=%s\n", threads, mode ? "break" : "retain");
    time_net(net, &nm, BATCH, threads, o);
    symclone_net_free(net);
  }
  symclone_student_free(lift);
  symclone_student_free(ga);
  symclone_student_free(gb);
}

/* The CPU as the system names it (/proc/cpuinfo), or "unknown". */
static void print_cpu(void) {
  char line[512], model[256] = "unknown", fam[32] = "?", mnum[32] = "?";
  FILE *f = fopen("/proc/cpuinfo", "r");
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    v[strcspn(v, "\n")] = 0;
    if (!strncmp(line, "model name", 10) && !strcmp(model, "unknown"))
      snprintf(model, sizeof model, "%s", v);
    else if (!strncmp(line, "cpu family", 10) && !strcmp(fam, "?"))
      snprintf(fam, sizeof fam, "%s", v);
    else if (!strncmp(line, "model\t", 6) && !strcmp(mnum, "?"))
      snprintf(mnum, sizeof mnum, "%s", v);
  }
  if (f) fclose(f);
  printf("cpu_model=%s\ncpu_family=%s\ncpu_model_number=%s\n", model, fam, mnum);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  options o;
  int parsed = parse_options(argc, argv, &o);
  if (parsed) {
    usage(parsed > 0 ? stdout : stderr);
    return parsed > 0 ? 0 : 2;
  }
  find_blas_controls();
  locate_library();
  printf("library_version=%s\n", symclone_version_string());
  print_cpu();
  printf("kernels=%s\n", symclone_kernels_string());
  printf("blas=%s\n", blas_config ? blas_config() : "unknown (no openblas_get_config)");
  printf("blas_core=%s\n", blas_corename ? blas_corename() : "unknown");
  printf("blas_thread_control=%s\n", blas_set_threads ? "openblas_set_num_threads" : "none");
  /* how long OpenBLAS's idle workers spin (with sched_yield) before they
   * sleep; read by OpenBLAS when it starts (docs/performance.md) */
  const char *timeout = getenv("OPENBLAS_THREAD_TIMEOUT");
  printf("openblas_thread_timeout=%s\n", timeout && *timeout ? timeout : "default");
  printf("quick=%d\nreps=%d\nwarmup=%d\n", o.quick, o.reps, o.warmup);
  if (COUNTS_ALLOCS) { /* the counter sees the library's allocations */
    long a0 = lib_allocs_now();
    symclone_student *probe = family_student(&families[0]);
    symclone_student_free(probe);
    printf("alloc_counter_check=%s\n", lib_allocs_now() > a0 ? "ok" : "failed");
  }
  register_family_shapes();
  step_model im = instance_model_default();
  (void)im;
  for (int ti = 0; o.want_gemm && ti < o.nthreads; ti++) {
    use_threads(o.threads[ti]);
    run_gemm_ref(o.threads[ti], &o);
  }
  /* each workload and mode with every thread count in turn */
  for (int fi = 0; fi < 2; fi++) {
    if (!(fi ? o.want_c4 : o.want_t2)) continue;
    for (int mi = 0; mi < 3; mi++)
      for (int ti = 0; o.want_mode[mi] && ti < o.nthreads; ti++) {
        use_threads(o.threads[ti]);
        run_family(&families[fi], modes[mi], o.threads[ti], &o);
      }
  }
  for (int ti = 0; o.want_inst && ti < o.nthreads; ti++) {
    use_threads(o.threads[ti]);
    run_instance(o.threads[ti], &o);
  }
  for (int ti = 0; o.want_net && ti < o.nthreads; ti++) {
    use_threads(o.threads[ti]);
    run_net(o.threads[ti], &o);
  }
  for (int ti = 0; o.want_gcnn && ti < o.nthreads; ti++) {
    use_threads(o.threads[ti]);
    run_net_gcnn(o.threads[ti], &o);
  }
  if (o.want_conv) {
    int threads = trainer_threads = o.threads[o.nthreads - 1];
    printf("blas_threads=%d\n", blas_threads(threads));
    run_converge(threads, &o);
  }
  return 0;
}
