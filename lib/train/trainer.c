/* The trainer's lifecycle: creation in family and instance mode (with
 * the family tables: tap table, the teacher's unit kernels, the moment
 * objective's label norm), the samples and progress callback, the
 * read-outs, and freeing.  A step starts in step.c. */
#include <math.h>

#include "../layer/tap.h"
#include "trainer_priv.h"

static symclone_trainer *trainer_alloc(void) {
  symclone_trainer *tr = sym_calloc(1, sizeof *tr);
  if (!tr) return NULL;
  sym_err_init(&tr->err);
  sym_settings_init(SYM_SETTINGS_TRAINER, tr->set);
  sym_rng_seed(&tr->rng, 0);
  return tr;
}

static symclone_status alloc_optimizer(symclone_trainer *tr) {
  tr->grad = sym_calloc(tr->nparams, sizeof(float));
  tr->m1 = sym_calloc(tr->nparams, sizeof(float));
  tr->m2 = sym_calloc(tr->nparams, sizeof(float));
  return tr->grad && tr->m1 && tr->m2 ? SYMCLONE_OK : SYMCLONE_ERR_NOMEM;
}

/* Family mode: the tap table of the planar correlation and the teacher's
 * planar kernels of the unit parameter vectors (kappa), which give the
 * labels of any theta (Kx = Theta kappa, labels = Kx im2col(x)) and the
 * moment objective's label norm. */
static symclone_status build_tables(symclone_trainer *tr) {
  const symclone_student *s = tr->st;
  size_t pc = (size_t)s->pc, P = (size_t)s->p, tc = (size_t)s->tcount;
  tr->tapidx = sym_malloc_array(s->out_hw * pc, sizeof(int));
  tr->kappa = sym_malloc_array(P * tc * pc, sizeof(float));
  if (!tr->tapidx || !tr->kappa) return SYMCLONE_ERR_NOMEM;
  int k = s->k;
  for (int oy = 0; oy < s->ho; oy++)
    for (int ox = 0; ox < s->wo; ox++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          tr->tapidx[((size_t)oy * s->wo + ox) * pc + (size_t)ky * k + kx] =
              sym_tap_index(s->pad, s->h, s->w, k, oy, ox, ky, kx);
  tr->tap_rows = sym_malloc_array(pc, sizeof(double));
  if (!tr->tap_rows) return SYMCLONE_ERR_NOMEM;
  for (size_t q = 0; q < pc; q++) {
    size_t inside = 0;
    for (size_t row = 0; row < s->out_hw; row++) inside += tr->tapidx[row * pc + q] >= 0;
    tr->tap_rows[q] = (double)inside;
  }
  symclone_status st = sym_student_exact_kernels(s, tr->kappa);
  if (st) return st;
  /* the label norm of the moment objective: a row of an unrolled block holds
   * distinct columns for distinct taps (k <= H, W rules out two taps
   * wrapping onto one pixel) */
  double norm = 0.0;
  for (size_t j = 0; j < P * tc; j++) {
    const float *kap = tr->kappa + j * pc;
    for (size_t row = 0; row < s->out_hw; row++)
      for (size_t q = 0; q < pc; q++)
        if (tr->tapidx[row * pc + q] >= 0) norm += (double)kap[q] * kap[q];
  }
  tr->moment_label_norm = norm / (double)s->out_size;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_create(symclone_trainer **out, symclone_student *student) {
  if (!out || !student) return SYMCLONE_ERR_NULL;
  symclone_trainer *tr = trainer_alloc();
  if (!tr) return SYMCLONE_ERR_NOMEM;
  tr->st = student;
  tr->in_size = student->in_size;
  tr->out_size = student->out_size;
  tr->p = (size_t)student->p;
  tr->nparams = student->nparams;
  tr->params = student->params;
  symclone_status st = build_tables(tr);
  if (!st) st = alloc_optimizer(tr);
  if (st) {
    symclone_trainer_free(tr);
    return st;
  }
  *out = tr;
  return SYMCLONE_OK;
}

symclone_status sym_trainer_create_shard(symclone_trainer **out, symclone_student *shard_student,
                                         const sym_shard *shard) {
  if (!out || !shard_student || !shard || !shard->reduce) return SYMCLONE_ERR_NULL;
  symclone_trainer *tr = NULL;
  symclone_status st = symclone_trainer_create(&tr, shard_student);
  if (st) return st;
  tr->shard = *shard;
  *out = tr;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_create_instance(symclone_trainer **out,
                                                 const symclone_layer *teacher,
                                                 const float *teacher_params,
                                                 const symclone_layer *dense,
                                                 float *dense_params) {
  if (!out || !teacher || !dense || !dense_params) return SYMCLONE_ERR_NULL;
  if (symclone_layer_param_count(teacher) && !teacher_params) return SYMCLONE_ERR_NULL;
  if (symclone_layer_kind_of(dense) != SYMCLONE_LAYER_DENSE) return SYMCLONE_ERR_ARG;
  if (symclone_layer_input_size(dense) != symclone_layer_input_size(teacher) ||
      symclone_layer_output_size(dense) != symclone_layer_output_size(teacher))
    return SYMCLONE_ERR_SHAPE;
  symclone_trainer *tr = trainer_alloc();
  if (!tr) return SYMCLONE_ERR_NOMEM;
  tr->instance = 1;
  tr->teacher = teacher;
  tr->teacher_params = teacher_params;
  tr->dense = dense;
  tr->in_size = symclone_layer_input_size(teacher);
  tr->out_size = symclone_layer_output_size(teacher);
  tr->p = 0;
  tr->nparams = symclone_layer_param_count(dense);
  tr->params = dense_params;
  tr->set[SYMCLONE_TRAINER_KERNELS] = 1;
  if (alloc_optimizer(tr)) {
    symclone_trainer_free(tr);
    return SYMCLONE_ERR_NOMEM;
  }
  *out = tr;
  return SYMCLONE_OK;
}

void symclone_trainer_free(symclone_trainer *tr) {
  if (!tr) return;
  sym_trainer_free_scratch(tr);
  void *bufs[] = {tr->fused,  tr->norm_d, tr->epiece, tr->ct, tr->tap_rows, tr->tapidx,
                  tr->kappa, tr->grad,   tr->m1,     tr->m2,     tr->shard_buf};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) sym_free(bufs[i]);
  symclone_group_free(tr->tgroup);
  sym_pool_free(tr->pool);
  sym_free(tr);
}

symclone_status symclone_trainer_set_samples(symclone_trainer *tr, const float *samples,
                                             size_t count) {
  if (!tr) return SYMCLONE_ERR_NULL;
  if (!samples && count) return sym_fail(&tr->err, SYMCLONE_ERR_NULL, "samples is NULL");
  tr->samples = samples;
  tr->nsamples = samples ? count : 0;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_set_progress(symclone_trainer *tr, symclone_trainer_progress_fn fn,
                                              void *user) {
  if (!tr) return SYMCLONE_ERR_NULL;
  tr->progress = fn;
  tr->progress_user = user;
  return SYMCLONE_OK;
}

long long symclone_trainer_steps_done(const symclone_trainer *tr) { return tr ? tr->steps : 0; }
double symclone_trainer_loss(const symclone_trainer *tr) { return tr ? tr->loss : NAN; }
double symclone_trainer_rel_loss(const symclone_trainer *tr) { return tr ? tr->rel : NAN; }
double symclone_trainer_rel_loss_resolution(const symclone_trainer *tr) {
  return tr ? tr->rel_res : NAN;
}
double symclone_trainer_seconds(const symclone_trainer *tr) { return tr ? tr->seconds : 0.0; }
const char *symclone_trainer_last_error(const symclone_trainer *tr) {
  return tr ? tr->err.msg : "";
}
