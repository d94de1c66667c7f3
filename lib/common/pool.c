/* The worker pool (pool.h): workers sleep on a condition variable between
 * runs; tasks are claimed through an atomic counter. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

struct sym_pool {
  int nworkers;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t start, done;
  unsigned long generation; /* bumped by every run */
  int active;               /* workers still inside the current run */
  int quit;
  sym_task_fn fn;
  void *ctx;
  size_t ntasks;
  atomic_size_t next;
};

static void drain(sym_pool *p) {
  size_t t;
  while ((t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < p->ntasks)
    p->fn(p->ctx, t);
}

static void *worker(void *arg) {
  sym_pool *p = arg;
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (!p->quit && p->generation == seen) pthread_cond_wait(&p->start, &p->mu);
    if (p->quit) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    drain(p);
    pthread_mutex_lock(&p->mu);
    if (--p->active == 0) pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->mu);
  }
}

static void stop_workers(sym_pool *p, int started) {
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
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
  if (p->nworkers && !(p->threads = sym_calloc((size_t)p->nworkers, sizeof *p->threads))) {
    sym_free(p);
    return SYMCLONE_ERR_NOMEM;
  }
  if (pthread_mutex_init(&p->mu, NULL)) goto fail_mutex;
  if (pthread_cond_init(&p->start, NULL)) goto fail_start;
  if (pthread_cond_init(&p->done, NULL)) goto fail_done;
  atomic_init(&p->next, 0);
  for (int i = 0; i < p->nworkers; i++)
    if (pthread_create(&p->threads[i], NULL, worker, p)) {
      stop_workers(p, i);
      pthread_cond_destroy(&p->done);
      goto fail_done;
    }
  *out = p;
  return SYMCLONE_OK;
fail_done:
  pthread_cond_destroy(&p->start);
fail_start:
  pthread_mutex_destroy(&p->mu);
fail_mutex:
  sym_free(p->threads);
  sym_free(p);
  return SYMCLONE_ERR_NOMEM;
}

void sym_pool_run(sym_pool *p, size_t ntasks, sym_task_fn fn, void *ctx) {
  if (!p || p->nworkers == 0 || ntasks <= 1) {
    for (size_t t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->ntasks = ntasks;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  p->active = p->nworkers;
  p->generation++;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  drain(p);
  pthread_mutex_lock(&p->mu);
  while (p->active > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

int sym_pool_threads(const sym_pool *p) { return p ? p->nworkers + 1 : 1; }

void sym_pool_free(sym_pool *p) {
  if (!p) return;
  stop_workers(p, p->nworkers);
  pthread_cond_destroy(&p->done);
  pthread_cond_destroy(&p->start);
  pthread_mutex_destroy(&p->mu);
  sym_free(p->threads);
  sym_free(p);
}
