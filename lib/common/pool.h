/* Private: a small pool of worker threads for the library's memory-bound
 * passes.  The calling thread takes part, so a pool of n threads starts
 * n - 1 workers.  Tasks are numbered 0 .. ntasks-1 and handed out in any
 * order; callers that reduce keep one partial result per task and combine
 * them in task order, which makes their results independent of the number
 * of threads. */
#ifndef SYMCLONE_POOL_H
#define SYMCLONE_POOL_H

#include <stddef.h>

#include <symclone/common.h>

typedef struct sym_pool sym_pool;
typedef void (*sym_task_fn)(void *ctx, size_t task);

/* n >= 1 threads in all (the caller included).  SYMCLONE_ERR_NOMEM if
 * memory or a thread could not be had (then nothing is left running). */
symclone_status sym_pool_create(sym_pool **out, int n);
/* Runs fn(ctx, t) for every t < ntasks and returns when all have finished.
 * pool may be NULL: the tasks then run on the caller, in order.  One run at
 * a time per pool. */
void sym_pool_run(sym_pool *pool, size_t ntasks, sym_task_fn fn, void *ctx);
/* The same, with the number of the thread running the task (0 for the
 * caller, up to sym_pool_threads - 1), for tasks that need scratch of
 * their thread's own. */
typedef void (*sym_worker_task_fn)(void *ctx, size_t task, int worker);
void sym_pool_run_workers(sym_pool *pool, size_t ntasks, sym_worker_task_fn fn, void *ctx);
int sym_pool_threads(const sym_pool *pool); /* 1 for NULL */
/* Make *pool a pool of `want` threads in all (below 1: 1): kept if it has
 * that many already, else stopped and, for want > 1, started anew (NULL
 * for 1).  Returns 1 if it changed, 0 if not, or a negative status (then
 * *pool is NULL). */
int sym_pool_resize(sym_pool **pool, int want);
void sym_pool_free(sym_pool *pool);

#endif
