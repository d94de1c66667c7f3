/* Instance mode: one fixed teacher layer cloned into a dense layer, the
 * labels from the teacher's forward pass on the step's inputs. */
#include <cblas.h>
#include <string.h>

#include "../layer/layer_pool.h"
#include "trainer_priv.h"

/* Instance mode: the dense layer's gradient (W[out][in], then the bias;
 * layer.h) is produced here directly, written on the first micro-batch
 * and added on the others. */
symclone_status sym_trainer_micro_instance(symclone_trainer *tr, int first, double *loss,
                                           double *lpow) {
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], in = tr->in_size, out = tr->out_size;
  symclone_status st = sym_trainer_scratch(tr, 1, N);
  if (st) return sym_fail(&tr->err, st, "cannot allocate the step's scratch");
  if ((st = sym_trainer_draw_inputs(tr, N))) return st;
  int threads = sym_pool_threads(tr->pool);
  if (threads != tr->work_threads) { /* new scratch, or the threads setting changed */
    size_t ws = sym_layer_workspace_threads(tr->teacher, tr->cap_n, threads);
    void *w = ws ? sym_malloc(ws) : NULL;
    if (ws && !w) return sym_fail(&tr->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu bytes", ws);
    sym_free(tr->work);
    tr->work = w;
    tr->work_threads = threads;
  }
  st = sym_layer_forward_pool(tr->teacher, tr->pool, tr->teacher_params, N, tr->x, tr->labels,
                              tr->work);
  if (st) return sym_fail(&tr->err, st, "forward failed");
  size_t nw = in * out;
  int bias = tr->nparams > nw;
  /* ys = X W^T + b */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)out, (int)in, 1.0f, tr->x,
              (int)in, tr->params, (int)in, 0.0f, tr->ys, (int)out);
  if (bias)
    for (size_t xi = 0; xi < N; xi++)
      for (size_t o = 0; o < out; o++) tr->ys[xi * out + o] += tr->params[nw + o];
  size_t total = N * out;
  *loss = sym_pass_sqerr(tr->pool, tr->partial, tr->ys, tr->labels, tr->ys, total,
                         (float)(2.0 / (double)total), lpow) /
          (double)total;
  *lpow /= (double)total;
  /* dW = E^T X, db = column sums of E */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)N, 1.0f, tr->ys,
              (int)out, tr->x, (int)in, first ? 0.0f : 1.0f, tr->grad, (int)in);
  if (bias) {
    float *db = tr->grad + nw;
    if (first) memset(db, 0, out * sizeof *db);
    for (size_t xi = 0; xi < N; xi++)
      for (size_t o = 0; o < out; o++) db[o] += tr->ys[xi * out + o];
  }
  return SYMCLONE_OK;
}
