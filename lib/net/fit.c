/* Forward and backward passes of a network, the loss, AdamW training and
 * evaluation. */
#include <math.h>
#include <string.h>

#include "../common/clock.h"
#include "../kernels/kernels.h"
#include "../layer/layer_pool.h"
#include "net_priv.h"

/* The pool follows SYMCLONE_NET_THREADS; it is (re)started, and the
 * scratch (whose size depends on it) dropped, only when that changes. */
static symclone_status ensure_pool(symclone_net *net) {
  int want = (int)sym_net_setting(net, SYMCLONE_NET_THREADS);
  int changed = sym_pool_resize(&net->pool, want);
  if (changed < 0) {
    sym_net_free_scratch(net);
    return sym_fail(&net->err, (symclone_status)changed, "cannot start %d threads", want);
  }
  if (changed) sym_net_free_scratch(net); /* its size depends on the thread count */
  return SYMCLONE_OK;
}

/* Activations, gradient buffers and workspaces for `batch` samples. */
static symclone_status reserve(symclone_net *net, size_t batch) {
  if (net->count == 0)
    return sym_fail(&net->err, SYMCLONE_ERR_STATE, "the network has no layer");
  symclone_status st = ensure_pool(net);
  if (st) return st;
  if (net->scap >= batch && net->act) return SYMCLONE_OK;
  sym_net_free_scratch(net);
  size_t maxio = net->in_size, work = 0, cs = 0, n;
  int threads = sym_pool_threads(net->pool);
  net->act = sym_calloc((size_t)net->count, sizeof(float *));
  if (!net->act) goto nomem;
  for (int l = 0; l < net->count; l++) {
    sym_net_layer *L = &net->layers[l];
    if (sym_mul_size(batch, L->out_size, &n) || n > SIZE_MAX / sizeof(float))
      return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows", batch);
    if (!(net->act[l] = sym_malloc_array(n, sizeof(float)))) goto nomem;
    if (L->out_size > maxio) maxio = L->out_size;
    if (L->kind == SYMCLONE_LAYER_CLONED) {
      if ((st = sym_net_cloned_reserve(net, L, batch))) return st;
      size_t c = sym_net_cloned_scratch(L, batch, threads);
      if (!c) return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows", batch);
      if (c > cs) cs = c;
    } else {
      size_t w = sym_layer_workspace_threads(L->layer, batch, threads);
      if (w > work) work = w;
    }
  }
  if (sym_mul_size(batch, maxio, &n)) return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "batch overflows");
  if (!(net->dbuf[0] = sym_malloc_array(n, sizeof(float)))) goto nomem;
  if (!(net->dbuf[1] = sym_malloc_array(n, sizeof(float)))) goto nomem;
  if (!(net->xb = sym_malloc_array(n, sizeof(float)))) goto nomem;
  if (!(net->lb = sym_malloc_array(batch, sizeof(int)))) goto nomem;
  if (work && !(net->work = sym_malloc(work))) goto nomem;
  if (cs && !(net->cscratch = sym_malloc_array(cs, sizeof(float)))) goto nomem;
  net->work_bytes = work;
  net->scap = batch;
  return SYMCLONE_OK;
nomem:
  return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate scratch for batch=%zu", batch);
}

static symclone_status forward(symclone_net *net, size_t batch, const float *x) {
  const float *in = x;
  for (int l = 0; l < net->count; l++) {
    sym_net_layer *L = &net->layers[l];
    if (L->kind == SYMCLONE_LAYER_CLONED) {
      sym_net_cloned_forward(L, net->pool, batch, in, net->act[l]);
    } else {
      symclone_status st = sym_layer_forward_pool(L->layer, net->pool, L->params, batch, in, net->act[l],
                                                  net->work);
      if (st) return sym_fail(&net->err, st, "layer %d: %s", l, symclone_layer_last_error(L->layer));
    }
    in = net->act[l];
  }
  return SYMCLONE_OK;
}

/* Softmax cross-entropy of logits z[batch][c]: returns the summed loss,
 * writes dz = (softmax - onehot) * scale (if dz), counts correct. */
static double softmax_xent(const float *z, const int *labels, size_t batch, size_t c, float *dz,
                           float scale, size_t *correct) {
  double total = 0;
  for (size_t i = 0; i < batch; i++) {
    const float *zi = z + i * c;
    size_t am = 0;
    for (size_t j = 1; j < c; j++)
      if (zi[j] > zi[am]) am = j;
    if (correct && (int)am == labels[i]) (*correct)++;
    double mx = zi[am], sum = 0;
    if (dz) { /* one exponential per logit: exp(z - max) kept in dz */
      float *di = dz + i * c;
      for (size_t j = 0; j < c; j++) {
        double e = exp((double)zi[j] - mx);
        di[j] = (float)e;
        sum += e;
      }
      double inv = 1.0 / sum;
      for (size_t j = 0; j < c; j++)
        di[j] = scale * (float)((double)di[j] * inv - ((int)j == labels[i] ? 1.0 : 0.0));
    } else {
      for (size_t j = 0; j < c; j++) sum += exp((double)zi[j] - mx);
    }
    double lse = mx + log(sum);
    total += lse - zi[labels[i]];
  }
  return total;
}

static symclone_status check_labels(const symclone_net *net, const int *labels, size_t n) {
  size_t c = net->layers[net->count - 1].out_size;
  for (size_t i = 0; i < n; i++)
    if (labels[i] < 0 || (size_t)labels[i] >= c)
      return sym_fail(&net->err, SYMCLONE_ERR_DATA, "labels[%zu]=%d outside [0, %zu)", i,
                      labels[i], c);
  return SYMCLONE_OK;
}

/* Loss and gradients (into each layer's grad, zeroed first) for one batch.
 * full: also the gradients of frozen parameters. */
static symclone_status loss_grad(symclone_net *net, size_t batch, const float *x,
                                 const int *labels, double *loss, size_t *correct, int full) {
  symclone_status st = forward(net, batch, x);
  if (st) return st;
  size_t c = net->layers[net->count - 1].out_size;
  float *dy = net->dbuf[0], *dx = net->dbuf[1];
  double l = softmax_xent(net->act[net->count - 1], labels, batch, c, dy, 1.0f / (float)batch,
                          correct) /
             (double)batch;
  for (int k = 0; k < net->count; k++)
    if (net->layers[k].nparams) memset(net->layers[k].grad, 0, net->layers[k].nparams * sizeof(float));
  for (int k = net->count - 1; k >= 0; k--) {
    sym_net_layer *L = &net->layers[k];
    const float *in = k ? net->act[k - 1] : x;
    float *dxp = k ? dx : NULL;
    if (L->kind == SYMCLONE_LAYER_CLONED) {
      sym_net_cloned_backward(L, net->pool, batch, in, dy, dxp,
                              full || L->mode == SYMCLONE_CLONE_BREAK, net->cscratch);
      l += sym_net_cloned_penalty(L, 1);
    } else {
      if (!dxp && !L->nparams) break;
      st = sym_layer_backward_pool(L->layer, net->pool, L->params, batch, in, dy, dxp, L->grad,
                                   net->work);
      if (st) return sym_fail(&net->err, st, "layer %d: %s", k, symclone_layer_last_error(L->layer));
    }
    float *t = dy;
    dy = dx;
    dx = t;
  }
  *loss = l;
  return SYMCLONE_OK;
}

static symclone_status check_io(const symclone_net *net, size_t batch, const float *x,
                                const void *y, const char *yname) {
  if (!x) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "x is NULL");
  if (!y) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "%s is NULL", yname);
  if (batch == 0) return sym_fail(&net->err, SYMCLONE_ERR_SIZE, "batch is 0");
  if (net->count == 0) return sym_fail(&net->err, SYMCLONE_ERR_STATE, "the network has no layer");
  return SYMCLONE_OK;
}

symclone_status symclone_net_forward(symclone_net *net, size_t batch, const float *x, float *y) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = check_io(net, batch, x, y, "y");
  if (st) return st;
  size_t bs = (size_t)sym_net_setting(net, SYMCLONE_NET_BATCH_SIZE),
         c = net->layers[net->count - 1].out_size;
  if ((st = reserve(net, bs < batch ? bs : batch))) return st;
  for (size_t i = 0; i < batch; i += net->scap) {
    size_t n = batch - i < net->scap ? batch - i : net->scap;
    if ((st = forward(net, n, x + i * net->in_size))) return st;
    memcpy(y + i * c, net->act[net->count - 1], n * c * sizeof(float));
  }
  return SYMCLONE_OK;
}

symclone_status symclone_net_gradient(symclone_net *net, size_t batch, const float *x,
                                      const int *labels, double *loss, float *grad) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = check_io(net, batch, x, labels, "labels");
  if (st || (st = check_labels(net, labels, batch)) || (st = reserve(net, batch))) return st;
  double l;
  if ((st = loss_grad(net, batch, x, labels, &l, NULL, 1))) return st;
  if (loss) *loss = l;
  if (grad)
    for (int k = 0; k < net->count; k++)
      if (net->layers[k].nparams)
        memcpy(grad + net->layers[k].offset, net->layers[k].grad,
               net->layers[k].nparams * sizeof(float));
  return SYMCLONE_OK;
}

static int grads_finite(const symclone_net *net) {
  for (int k = 0; k < net->count; k++) {
    const sym_net_layer *L = &net->layers[k];
    for (size_t j = 0; j < L->ntrain; j++)
      if (!isfinite(L->grad[j])) return 0;
  }
  return 1;
}

/* One AdamW step of every layer's trainable parameters by the library's
 * AdamW kernel: decoupled weight decay on the weights, none on the rest
 * (biases).  Returns how many parameters kept their value because their
 * new one was not finite. */
static size_t adamw(symclone_net *net, double lr) {
  double b1 = sym_net_setting(net, SYMCLONE_NET_BETA1),
         b2 = sym_net_setting(net, SYMCLONE_NET_BETA2);
  double eps = sym_net_setting(net, SYMCLONE_NET_EPSILON),
         wd = sym_net_setting(net, SYMCLONE_NET_WEIGHT_DECAY);
  net->adam_steps++;
  sym_adam_consts decayed = sym_adam_consts_at(net->adam_steps, lr, b1, b2, eps, wd, 1.0);
  sym_adam_consts plain = sym_adam_consts_at(net->adam_steps, lr, b1, b2, eps, 0.0, 1.0);
  const sym_kernels *kern = sym_kernels_get();
  size_t bad = 0;
  for (int k = 0; k < net->count; k++) {
    sym_net_layer *L = &net->layers[k];
    if (!L->ntrain) continue;
    size_t nw = L->nweights < L->ntrain ? L->nweights : L->ntrain;
    bad += kern->adamw(L->params, L->grad, L->m, L->v, nw, &decayed);
    bad += kern->adamw(L->params + nw, L->grad + nw, L->m + nw, L->v + nw, L->ntrain - nw, &plain);
    if (L->kind == SYMCLONE_LAYER_CLONED && L->mode == SYMCLONE_CLONE_BREAK)
      L->wt_valid = 0; /* the blocks moved */
  }
  return bad;
}

symclone_status symclone_net_train(symclone_net *net, const float *x, const int *labels,
                                   size_t count) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = check_io(net, count, x, labels, "labels");
  if (st || (st = check_labels(net, labels, count))) return st;
  size_t bs = (size_t)sym_net_setting(net, SYMCLONE_NET_BATCH_SIZE);
  if (bs > count) bs = count;
  if ((st = reserve(net, bs))) return st;
  if (net->order_cap < count) {
    size_t *o = sym_malloc_array(count, sizeof *o);
    if (!o) return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu indices", count);
    sym_free(net->order);
    net->order = o;
    net->order_cap = count;
  }
  size_t *perm = net->order;
  float *xb = net->xb;
  int *lb = net->lb;
  int epochs = (int)sym_net_setting(net, SYMCLONE_NET_EPOCHS);
  long long every = (long long)sym_net_setting(net, SYMCLONE_NET_PROGRESS_BATCHES);
  long long batches = (long long)((count + bs - 1) / bs);
  double t0 = sym_now_seconds();
  for (size_t i = 0; i < count; i++) perm[i] = i;
  for (int e = 0; e < epochs; e++) {
    double lr = sym_net_setting(net, SYMCLONE_NET_LEARNING_RATE) *
                pow(sym_net_setting(net, SYMCLONE_NET_LR_DECAY), (double)net->epochs_done);
    for (size_t i = count - 1; i > 0; i--) {
      size_t j = (size_t)sym_rng_below(&net->rng, (uint64_t)i + 1), t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    double sum_loss = 0;
    size_t seen = 0, correct = 0;
    for (long long b = 0; b < batches; b++) {
      size_t start = (size_t)b * bs, n = count - start < bs ? count - start : bs;
      for (size_t i = 0; i < n; i++) {
        memcpy(xb + i * net->in_size, x + perm[start + i] * net->in_size,
               net->in_size * sizeof(float));
        lb[i] = labels[perm[start + i]];
      }
      double l;
      if ((st = loss_grad(net, n, xb, lb, &l, &correct, 0))) goto done;
      if (!isfinite(l) || !grads_finite(net)) {
        st = sym_fail(&net->err, SYMCLONE_ERR_DIVERGED, "epoch %lld batch %lld: loss %g",
                      net->epochs_done + 1, b + 1, l);
        goto done;
      }
      size_t bad = adamw(net, lr);
      if (bad) {
        st = sym_fail(&net->err, SYMCLONE_ERR_DIVERGED,
                      "epoch %lld batch %lld: the update overflowed for %zu parameters, which "
                      "kept their previous values",
                      net->epochs_done + 1, b + 1, bad);
        goto done;
      }
      sum_loss += l * (double)n;
      seen += n;
      int last = b + 1 == batches;
      if (net->progress && (last || (every > 0 && (b + 1) % every == 0))) {
        double el = sym_now_seconds() - t0;
        double frac = ((double)e + (double)(b + 1) / (double)batches) / (double)epochs;
        double eta = el / frac * (1.0 - frac);
        if (net->progress(net->user, e + 1, epochs, b + 1, batches, sum_loss / (double)seen,
                          (double)correct / (double)seen, el, eta)) {
          if (last) net->epochs_done++;
          st = sym_fail(&net->err, SYMCLONE_ERR_CANCELLED, "cancelled by the progress callback");
          goto done;
        }
      }
    }
    net->epochs_done++;
  }
done:
  return st;
}

symclone_status symclone_net_evaluate(symclone_net *net, const float *x, const int *labels,
                                      size_t count, double *accuracy, double *loss,
                                      long long *confusion) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = check_io(net, count, x, labels, "labels");
  if (st || (st = check_labels(net, labels, count))) return st;
  size_t bs = (size_t)sym_net_setting(net, SYMCLONE_NET_BATCH_SIZE);
  if ((st = reserve(net, bs < count ? bs : count))) return st;
  size_t c = net->layers[net->count - 1].out_size, correct = 0;
  if (confusion) memset(confusion, 0, c * c * sizeof *confusion);
  double total = 0;
  for (size_t i = 0; i < count; i += net->scap) {
    size_t n = count - i < net->scap ? count - i : net->scap;
    if ((st = forward(net, n, x + i * net->in_size))) return st;
    const float *z = net->act[net->count - 1];
    total += softmax_xent(z, labels + i, n, c, NULL, 0, &correct);
    if (confusion)
      for (size_t j = 0; j < n; j++) {
        size_t am = 0;
        for (size_t q = 1; q < c; q++)
          if (z[j * c + q] > z[j * c + am]) am = q;
        confusion[(size_t)labels[i + j] * c + am]++;
      }
  }
  if (accuracy) *accuracy = (double)correct / (double)count;
  if (loss) *loss = total / (double)count;
  return SYMCLONE_OK;
}
