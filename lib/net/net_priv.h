/* Private: the network handle, its layers and the cloned convolution
 * layer.  The cloned layer reuses the student's building blocks
 * (lib/student/student_priv.h) with one "kernel draw" per channel pair:
 *   X    [N][Cin][in_n][in_hw]          input
 *   V    [N][Cin][in_n][B][out_hw]      W_b x, one GEMM for the whole batch
 *   Phi  [Cout*Cin][tcount][Pc]         T_t theta[o][i]
 *   C    [Cout][Cin][out_n][in_n][B]    Phi A^T (t = r*in_n + s)
 *   Cbig [Cout][out_n][Cin][in_n][B]    C reordered: rows (o, r)
 *   Y_x  = Cbig V_x + b                 one GEMM per sample
 */
#ifndef SYMCLONE_NET_PRIV_H
#define SYMCLONE_NET_PRIV_H

#include "../common/internal.h"
#include "../common/pool.h"
#include "../common/settings_priv.h"
#include "../student/student_priv.h"
#include <symclone/net.h>

typedef struct sym_net_layer {
  symclone_layer_kind kind;
  symclone_layer *layer;    /* owned; NULL for a cloned layer */
  int in_shape[4], out_shape[4];
  size_t in_size, out_size;
  size_t nparams, ntrain, nweights; /* first ntrain trained, first nweights decayed */
  size_t offset;            /* in the flat parameter array */
  float *params, *grad, *m, *v;
  /* cloned layer */
  struct symclone_student st; /* shallow copy; st.params points into params */
  float *cloned;            /* the student's parameters as copied */
  size_t ntheta, nstudent;
  int mode, cin, cout;
  double beta;
  float *vcache, *phi, *c, *cbig; /* forward state kept for backward */
  float *wt;                /* the blocks transposed, [in_hw][B*out_hw], or NULL */
  int wt_valid;             /* wt holds the current blocks (cleared when they change) */
  size_t vcap;              /* batch capacity of vcache */
} sym_net_layer;

struct symclone_net {
  int in_shape[4];
  size_t in_size;
  sym_net_layer *layers;
  int count, cap;
  size_t nparams, ntrain;
  double setting[SYM_SETTINGS_SLOTS]; /* by slot: sym_net_setting() */
  symclone_net_progress_fn progress;
  void *user;
  sym_rng rng;
  long long epochs_done, adam_steps;
  /* scratch, sized for `scap` samples */
  size_t scap;
  float **act;              /* act[l]: output of layer l */
  float *dbuf[2];
  void *work;
  size_t work_bytes;
  float *cscratch;          /* cloned passes: dV, dCbig, dC, dPhi, the per-sample
                               partials and the threads' transposes */
  size_t *order;            /* train(): the shuffled indices, `order_cap` of them */
  size_t order_cap;
  float *xb;                /* train(): one batch of inputs (scap samples) */
  int *lb;                  /* and of labels */
  sym_pool *pool;           /* SYMCLONE_NET_THREADS threads, the caller included */
  sym_err err;
};

/* The value of one of the network's settings (a SYMCLONE_NET_* key). */
static inline double sym_net_setting(const symclone_net *net, symclone_setting key) {
  return net->setting[SYM_SETTING_SLOT(key)];
}

/* Cloned layer (cloned.c). */
/* Release the activations, gradient buffers and workspaces (net.c); the
 * next call that needs them allocates them anew. */
void sym_net_free_scratch(symclone_net *net);

symclone_status sym_net_cloned_init(symclone_net *net, sym_net_layer *L,
                                    const symclone_student *student, int cin, int cout, int mode,
                                    double beta);
void sym_net_cloned_free(sym_net_layer *L);
/* Floats of scratch the passes need for `batch` samples on `threads`
 * threads (0 on overflow). */
size_t sym_net_cloned_scratch(const sym_net_layer *L, size_t batch, int threads);
symclone_status sym_net_cloned_reserve(symclone_net *net, sym_net_layer *L, size_t batch);
/* Forward: the per-sample products on the pool (any thread count gives
 * the same bits). */
void sym_net_cloned_forward(sym_net_layer *L, sym_pool *pool, size_t batch, const float *x,
                            float *y);
/* Backward: dx (may be NULL), grads into L->grad (ADDED); the student's
 * blocks gradient only if `student_grads`; dV only if one of them needs it. */
void sym_net_cloned_backward(sym_net_layer *L, sym_pool *pool, size_t batch, const float *x,
                             const float *dy, float *dx, int student_grads, float *scratch);
/* beta * ||params - cloned||^2, and its gradient added into L->grad. */
double sym_net_cloned_penalty(sym_net_layer *L, int grads);

#endif
