/* The worker pool (pool.h).  Passes come in quick succession (a step makes
 * several, with little in between), so an idle worker first watches for
 * the next run for a short while and only then sleeps on a condition
 * variable: waking a sleeping thread costs far more than a pass piece on a
 * virtual machine.  Tasks are claimed through an atomic counter; the caller
 * takes part and then waits for the workers still on their last task. */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long an idle worker watches before it sleeps, in pause instructions
 * (13 ns each on the machine of docs/performance.md: about 30 us), and how
 * long the caller waits for the others before it yields its core. */
#define WATCH_SPINS 2000

struct sym_pool {
  int nworkers;
  pthread_t *threads;
  struct worker_arg *args;
  pthread_mutex_t mu;
  pthread_cond_t start;
  atomic_ulong generation; /* bumped by every run, after the run's fields are set */
  atomic_int active;       /* workers still inside the current run */
  atomic_int quit;
  int sleepers; /* workers waiting on `start` (under mu) */
  sym_worker_task_fn fn;
  void *ctx;
  size_t ntasks;
  atomic_size_t next;
};

static void drain(sym_pool *p, int who) {
  size_t t;
  while ((t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < p->ntasks)
    p->fn(p->ctx, t, who);
}

/* A worker's start argument: its pool and its number (1 .. nworkers; the
 * caller is 0). */
typedef struct worker_arg {
  sym_pool *p;
  int who;
} worker_arg;

/* Wait for a generation other than `seen` (or quit); returns it. */
static unsigned long next_generation(sym_pool *p, unsigned long seen) {
  for (int i = 0; i < WATCH_SPINS; i++) {
    unsigned long g = atomic_load_explicit(&p->generation, memory_order_acquire);
    if (g != seen || atomic_load_explicit(&p->quit, memory_order_relaxed)) return g;
    CPU_RELAX();
  }
  pthread_mutex_lock(&p->mu);
  p->sleepers++;
  unsigned long g;
  while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
         !atomic_load_explicit(&p->quit, memory_order_relaxed))
    pthread_cond_wait(&p->start, &p->mu);
  p->sleepers--;
  pthread_mutex_unlock(&p->mu);
  return g;
}

static void *worker(void *arg) {
  sym_pool *p = ((worker_arg *)arg)->p;
  int who = ((worker_arg *)arg)->who;
  unsigned long seen = 0;
  for (;;) {
    seen = next_generation(p, seen);
    if (atomic_load_explicit(&p->quit, memory_order_acquire)) return NULL;
    drain(p, who);
    atomic_fetch_sub_explicit(&p->active, 1, memory_order_release);
  }
}

static void stop_workers(sym_pool *p, int started) {
  pthread_mutex_lock(&p->mu);
  atomic_store_explicit(&p->quit, 1, memory_order_release);
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < started; i++) pthread_join(p->threads[i], NULL);
}

symclone_status sym_pool_create(sym_pool **out, int n) {
  if (!out) return SYMCLONE_ERR_NULL;
  *out = NULL;
  if (n < 1) return SYMCLONE_ERR_ARG;
  sym_pool *p = sym_calloc(1, sizeof *p);
  if (!p) return SYMCLONE_ERR_NOMEM;
  p->nworkers = n - 1;
  if (p->nworkers && (!(p->threads = sym_calloc((size_t)p->nworkers, sizeof *p->threads)) ||
                      !(p->args = sym_calloc((size_t)p->nworkers, sizeof *p->args)))) {
    sym_free(p->threads);
    sym_free(p);
    return SYMCLONE_ERR_NOMEM;
  }
  if (pthread_mutex_init(&p->mu, NULL)) goto fail_mutex;
  if (pthread_cond_init(&p->start, NULL)) goto fail_start;
  atomic_init(&p->generation, 0);
  atomic_init(&p->active, 0);
  atomic_init(&p->quit, 0);
  atomic_init(&p->next, 0);
  for (int i = 0; i < p->nworkers; i++) {
    p->args[i].p = p;
    p->args[i].who = i + 1;
    if (pthread_create(&p->threads[i], NULL, worker, &p->args[i])) {
      stop_workers(p, i);
      goto fail_threads;
    }
  }
  *out = p;
  return SYMCLONE_OK;
fail_threads:
  pthread_cond_destroy(&p->start);
fail_start:
  pthread_mutex_destroy(&p->mu);
fail_mutex:
  sym_free(p->args);
  sym_free(p->threads);
  sym_free(p);
  return SYMCLONE_ERR_NOMEM;
}

void sym_pool_run_workers(sym_pool *p, size_t ntasks, sym_worker_task_fn fn, void *ctx) {
  if (!p || p->nworkers == 0 || ntasks <= 1) {
    for (size_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  /* the workers of the previous run have all left it (active reached 0),
   * so these plain fields are not being read */
  p->fn = fn;
  p->ctx = ctx;
  p->ntasks = ntasks;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->active, p->nworkers, memory_order_relaxed);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  if (p->sleepers) pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  drain(p, 0);
  /* the others are at most one task behind */
  for (unsigned spins = 0; atomic_load_explicit(&p->active, memory_order_acquire) > 0; spins++) {
    if (spins < WATCH_SPINS)
      CPU_RELAX();
    else
      sched_yield();
  }
}

/* A task that does not ask for its thread's number. */
typedef struct plain_task {
  sym_task_fn fn;
  void *ctx;
} plain_task;

static void run_plain(void *ctx, size_t t, int who) {
  (void)who;
  const plain_task *pt = ctx;
  pt->fn(pt->ctx, t);
}

void sym_pool_run(sym_pool *p, size_t ntasks, sym_task_fn fn, void *ctx) {
  plain_task pt = {fn, ctx};
  sym_pool_run_workers(p, ntasks, run_plain, &pt);
}

int sym_pool_threads(const sym_pool *p) { return p ? p->nworkers + 1 : 1; }

int sym_pool_resize(sym_pool **pool, int want) {
  if (want < 1) want = 1;
  if (sym_pool_threads(*pool) == want) return 0;
  sym_pool_free(*pool);
  *pool = NULL;
  if (want == 1) return 1;
  symclone_status st = sym_pool_create(pool, want);
  return st ? (int)st : 1;
}

void sym_pool_free(sym_pool *p) {
  if (!p) return;
  stop_workers(p, p->nworkers);
  pthread_cond_destroy(&p->start);
  pthread_mutex_destroy(&p->mu);
  sym_free(p->args);
  sym_free(p->threads);
  sym_free(p);
}
