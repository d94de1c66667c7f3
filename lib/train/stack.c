/* Layer-by-layer cloning of a stack of teacher layers. */
#include <limits.h>
#include <string.h>

#include "trainer_priv.h"

/* Clone layer l (number index) into a new student trained with the
 * template's settings; on failure the message is kept in the template. */
static symclone_status clone_one(symclone_trainer *settings, const symclone_layer *l,
                                 const float *features, size_t nfeat, int blocks, int index,
                                 symclone_student **out) {
  symclone_student_kind kind = SYMCLONE_STUDENT_PLANAR;
  sym_student_kind_of_layer(symclone_layer_kind_of(l), &kind);
  int shape[4];
  symclone_layer_input_shape(l, shape);
  uint64_t seed = (uint64_t)settings->set[SYMCLONE_TRAINER_SEED] + (uint64_t)index;
  symclone_student *s;
  symclone_status st = symclone_student_create(&s, kind, sym_student_rotations_of_layer(l),
                                               symclone_layer_kernel(l), shape[2], shape[3],
                                               symclone_layer_padding(l), blocks, seed);
  if (st)
    return sym_fail(&settings->err, st, "layers[%d]: cannot create its student: %s", index,
                    symclone_strerror(st));
  symclone_trainer *tr;
  if ((st = symclone_trainer_create(&tr, s))) {
    symclone_student_free(s);
    return sym_fail(&settings->err, st, "layers[%d]: cannot create its trainer: %s", index,
                    symclone_strerror(st));
  }
  memcpy(tr->set, settings->set, sizeof tr->set);
  tr->set[SYMCLONE_TRAINER_SEED] = (double)seed;
  sym_rng_seed(&tr->rng, seed);
  tr->progress = settings->progress;
  tr->progress_user = settings->progress_user;
  if (features) {
    /* one field per (sample, channel): the feature array is already laid
     * out as consecutive per-channel fields */
    symclone_trainer_set_samples(tr, features, nfeat * (size_t)shape[0]);
    if ((int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] != SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED)
      tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] = SYMCLONE_INPUT_SOURCE_SAMPLES;
    if ((int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] == SYMCLONE_OBJECTIVE_MOMENT)
      tr->set[SYMCLONE_TRAINER_OBJECTIVE] = SYMCLONE_OBJECTIVE_UNIT_KERNELS;
  } else {
    tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] = SYMCLONE_INPUT_SOURCE_GAUSSIAN;
  }
  st = symclone_trainer_run(tr);
  if (st) sym_fail(&settings->err, st, "layers[%d]: %s", index, symclone_trainer_last_error(tr));
  symclone_trainer_free(tr);
  if (st) {
    symclone_student_free(s);
    return st;
  }
  *out = s;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_clone_stack(symclone_trainer *settings,
                                             const symclone_layer *const *layers,
                                             const float *const *params, int count,
                                             const float *inputs, size_t n_inputs, int blocks,
                                             symclone_student **students) {
  if (!layers || !params || !settings || !students) return SYMCLONE_ERR_NULL;
  if (count < 1) return sym_fail(&settings->err, SYMCLONE_ERR_SIZE, "count=%d < 1", count);
  if (inputs && n_inputs == 0)
    return sym_fail(&settings->err, SYMCLONE_ERR_SIZE, "n_inputs is 0 with inputs given");
  for (int i = 0; i < count; i++) {
    students[i] = NULL;
    if (!layers[i]) return sym_fail(&settings->err, SYMCLONE_ERR_NULL, "layers[%d] is NULL", i);
    if (symclone_layer_param_count(layers[i]) && !params[i])
      return sym_fail(&settings->err, SYMCLONE_ERR_NULL, "params[%d] is NULL", i);
    if (i > 0 && symclone_layer_input_size(layers[i]) != symclone_layer_output_size(layers[i - 1]))
      return sym_fail(&settings->err, SYMCLONE_ERR_SHAPE,
                      "layers[%d] takes %zu floats but layers[%d] gives %zu", i,
                      symclone_layer_input_size(layers[i]), i - 1,
                      symclone_layer_output_size(layers[i - 1]));
  }
  if (inputs) {
    /* the inputs and every layer's features for them must fit: checked
     * before anything is copied, so that no product wraps */
    size_t t;
    for (int i = 0; i < count; i++)
      if (sym_mul3_size(n_inputs, symclone_layer_input_size(layers[i]), sizeof(float), &t) ||
          sym_mul3_size(n_inputs, symclone_layer_output_size(layers[i]), sizeof(float), &t) ||
          n_inputs > (size_t)INT_MAX)
        return sym_fail(&settings->err, SYMCLONE_ERR_OVERFLOW,
                        "n_inputs=%zu fields of layers[%d] overflow", n_inputs, i);
  }
  symclone_status st = SYMCLONE_OK;
  float *cur = NULL, *next = NULL;
  if (inputs) {
    cur = sym_malloc_array(n_inputs * symclone_layer_input_size(layers[0]), sizeof(float));
    if (!cur) return sym_fail(&settings->err, SYMCLONE_ERR_NOMEM, "cannot copy the inputs");
    memcpy(cur, inputs, n_inputs * symclone_layer_input_size(layers[0]) * sizeof(float));
  }
  for (int i = 0; i < count && !st; i++) {
    symclone_student_kind kind;
    if (sym_student_kind_of_layer(symclone_layer_kind_of(layers[i]), &kind)) {
      if ((st = clone_one(settings, layers[i], cur, n_inputs, blocks, i, &students[i]))) break;
    }
    if (inputs && i + 1 < count) {
      next = sym_malloc_array(n_inputs * symclone_layer_output_size(layers[i]), sizeof(float));
      if (!next) {
        st = sym_fail(&settings->err, SYMCLONE_ERR_NOMEM, "cannot allocate the features");
        break;
      }
      st = symclone_layer_forward(layers[i], params[i], n_inputs, cur, next, NULL);
      if (st)
        sym_fail(&settings->err, st, "the forward pass of layers[%d] failed: %s", i,
                 symclone_layer_last_error(layers[i]));
      sym_free(cur);
      cur = next;
      next = NULL;
    }
  }
  sym_free(cur);
  if (st)
    for (int i = 0; i < count; i++) {
      symclone_student_free(students[i]);
      students[i] = NULL;
    }
  return st;
}
