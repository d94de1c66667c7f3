/* The step's inputs: Gaussian draws (on the worker threads, the same
 * whatever their number), samples or transformed samples; and, in family
 * mode, their im2col rows from the tap table. */
#include <string.h>

#include "trainer_priv.h"

symclone_status sym_trainer_input_group(symclone_trainer *tr) {
  if (tr->tgroup) return SYMCLONE_OK;
  int shape[4];
  if (tr->instance) {
    symclone_layer_input_shape(tr->teacher, shape);
    return symclone_group_create_t2(&tr->tgroup, shape[2], shape[3]);
  }
  const symclone_student *s = tr->st;
  if (s->kind == SYMCLONE_STUDENT_PLANAR) return symclone_group_create_t2(&tr->tgroup, s->h, s->w);
  if (sym_student_is_dihedral(s->kind)) return symclone_group_create_dihedral(&tr->tgroup, s->n);
  return symclone_group_create_cyclic(&tr->tgroup, s->n);
}

/* Gaussian inputs: input i comes from its own generator, seeded with one
 * draw of the trainer's generator plus i, so that the inputs can be drawn
 * on any number of threads and still be the same. */
typedef struct draw_job {
  float *x;
  size_t in;
  uint64_t base;
} draw_job;

static void draw_task(void *ctx, size_t i) {
  const draw_job *j = ctx;
  sym_rng r;
  sym_rng_seed(&r, j->base + (uint64_t)i);
  sym_rng_fill_normal_polar(&r, j->x + i * j->in, j->in, 1.0f);
}

symclone_status sym_trainer_draw_inputs(symclone_trainer *tr, size_t N) {
  int src = (int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE];
  size_t in = tr->in_size;
  if (src == SYMCLONE_INPUT_SOURCE_GAUSSIAN) {
    draw_job j = {tr->x, in, sym_rng_next(&tr->rng)};
    sym_pool_run(tr->pool, N, draw_task, &j);
    return SYMCLONE_OK;
  }
  if (!tr->samples || tr->nsamples == 0)
    return sym_fail(&tr->err, SYMCLONE_ERR_STATE,
                    "input_source asks for samples but none were set (set_samples)");
  symclone_status st = SYMCLONE_OK;
  if (src == SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED && (st = sym_trainer_input_group(tr)))
    return sym_fail(&tr->err, st, "cannot create the group of the input transforms");
  int shape[4] = {1, 1, 1, 1};
  if (tr->instance)
    symclone_layer_input_shape(tr->teacher, shape);
  else
    symclone_student_input_shape(tr->st, shape);
  for (size_t i = 0; i < N; i++) {
    const float *smp = tr->samples + (size_t)sym_rng_below(&tr->rng, tr->nsamples) * in;
    float *dst = tr->x + i * in;
    if (src == SYMCLONE_INPUT_SOURCE_SAMPLES) {
      memcpy(dst, smp, in * sizeof *dst);
      continue;
    }
    int g = (int)sym_rng_below(&tr->rng, (uint64_t)symclone_group_order(tr->tgroup));
    symclone_group_kind gk = symclone_group_kind_of(tr->tgroup);
    if ((gk == SYMCLONE_GROUP_CYCLIC || gk == SYMCLONE_GROUP_DIHEDRAL) && shape[1] > 1)
      st = symclone_group_act_group(tr->tgroup, g, shape[0], shape[1], shape[2], shape[3], smp,
                                    dst);
    else
      st = symclone_group_act_planar(tr->tgroup, g, shape[0] * shape[1], shape[2], shape[3], smp,
                                     dst);
    if (st)
      return sym_fail(&tr->err, st, "transforming a sample failed: %s",
                      symclone_group_last_error(tr->tgroup));
  }
  return SYMCLONE_OK;
}

/* xt[s][i][x] = x[x][s][i], then cols[(s,q)][(o,x)] = xt[s][tap(o,q)][x]
 * for the output rows o the student holds,
 * the copies in tasks of COLS_OUTPUTS output positions. */
#define COLS_OUTPUTS ((size_t)64)

static void cols_task(void *ctx, size_t t) {
  symclone_trainer *tr = ctx;
  const symclone_student *s = tr->st;
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], pc = (size_t)s->pc, how = s->rows;
  const int *tapidx = tr->tapidx + s->row0 * pc; /* the rows held */
  size_t o0 = t * COLS_OUTPUTS, o1 = o0 + COLS_OUTPUTS < how ? o0 + COLS_OUTPUTS : how;
  for (int si = 0; si < s->in_n; si++)
    for (size_t q = 0; q < pc; q++) {
      float *row = tr->cols + ((size_t)si * pc + q) * how * N;
      const float *xs = tr->xt + (size_t)si * s->in_hw * N;
      for (size_t o = o0; o < o1; o++) {
        int tap = tapidx[o * pc + q];
        if (tap < 0)
          memset(row + o * N, 0, N * sizeof *row);
        else
          memcpy(row + o * N, xs + (size_t)tap * N, N * sizeof *row);
      }
    }
}

void sym_trainer_build_cols(symclone_trainer *tr, size_t N) {
  size_t in = tr->in_size, how = tr->st->rows;
  for (size_t xi = 0; xi < N; xi++)
    for (size_t i = 0; i < in; i++) tr->xt[i * N + xi] = tr->x[xi * in + i];
  sym_pool_run(tr->pool, how / COLS_OUTPUTS + (how % COLS_OUTPUTS != 0), cols_task, tr);
}
