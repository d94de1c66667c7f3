/* Fuzz target: the public API driven with fuzzer-chosen shapes, settings
 * and values.  Every call must return a status (never crash, hang or
 * leak), *out must stay untouched on failure, and calls on objects that
 * were created must succeed when their arguments are right.  Sizes are
 * mostly small, sometimes anything (zero, negative, huge), so the size and
 * overflow checks see extreme values; work is only run on objects small
 * enough to keep an input fast. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_WORK ((size_t)1 << 14) /* floats per buffer worth running */

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "fuzz_api: %s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
      abort();                                                                                 \
    }                                                                                          \
  } while (0)

static float *floats(fuzz_in *in, size_t n) {
  float *f = malloc((n ? n : 1) * sizeof *f);
  if (!f) return NULL;
  for (size_t i = 0; i < n; i++) f[i] = (float)((int)fuzz_u8(in) - 128) / 32.0f;
  return f;
}

static void fuzz_group(fuzz_in *in) {
  symclone_group *g = (symclone_group *)(uintptr_t)1;
  symclone_status st = (fuzz_u8(in) & 1) ? symclone_group_create_t2(&g, fuzz_size(in, 9),
                                                                    fuzz_size(in, 9))
                                         : symclone_group_create_cyclic(&g, fuzz_size(in, 12));
  if (st) {
    CHECK(g == (symclone_group *)(uintptr_t)1 && st < 0);
    return;
  }
  int order = symclone_group_order(g), a = fuzz_size(in, 20), b = fuzz_size(in, 20), c;
  CHECK(order >= 1);
  if (symclone_group_compose(g, a, b, &c) == SYMCLONE_OK) CHECK(c >= 0 && c < order);
  if (symclone_group_inverse(g, a, &c) == SYMCLONE_OK) CHECK(c >= 0 && c < order);
  symclone_group_t2_element(g, fuzz_size(in, 20), -fuzz_size(in, 20), &c);
  int ch = fuzz_size(in, 3), n = fuzz_size(in, 8), h = fuzz_size(in, 9), w = fuzz_size(in, 9);
  size_t cells = (size_t)(ch > 0 ? ch : 0) * (size_t)(n > 0 ? n : 0) * (size_t)(h > 0 ? h : 0) *
                 (size_t)(w > 0 ? w : 0);
  if (ch > 0 && n > 0 && h > 0 && w > 0 && cells <= SMALL_WORK) {
    float *x = floats(in, cells), *y = malloc(cells * sizeof *y);
    if (x && y) {
      symclone_group_act_planar(g, a, ch, h, w, x, y);
      symclone_group_act_group(g, b, ch, n, h, w, x, y);
    }
    free(x);
    free(y);
  }
  symclone_group_free(g);
}

static void fuzz_layer(fuzz_in *in) {
  symclone_layer *l = (symclone_layer *)(uintptr_t)1;
  int kind = (int)(fuzz_u8(in) % 8) + 1;
  int n = fuzz_size(in, 8), ci = fuzz_size(in, 3), co = fuzz_size(in, 3), k = fuzz_size(in, 7);
  int h = fuzz_size(in, 10), w = fuzz_size(in, 10), pad = (int)fuzz_u8(in) % 4;
  int bias = (int)fuzz_u8(in) & 1;
  symclone_status st;
  switch (kind) {
  case SYMCLONE_LAYER_CONV2D: st = symclone_layer_create_conv2d(&l, ci, co, k, h, w, pad, bias); break;
  case SYMCLONE_LAYER_LIFTING:
    st = symclone_layer_create_lifting(&l, n, ci, co, k, h, w, pad, bias);
    break;
  case SYMCLONE_LAYER_GROUP_CONV:
    st = symclone_layer_create_group_conv(&l, n, ci, co, k, h, w, pad, bias);
    break;
  case SYMCLONE_LAYER_RELU: st = symclone_layer_create_relu(&l, ci, n, h, w); break;
  case SYMCLONE_LAYER_MAXPOOL2: st = symclone_layer_create_maxpool2(&l, ci, n, h, w); break;
  case SYMCLONE_LAYER_ORIENT_POOL: st = symclone_layer_create_orient_pool(&l, ci, n, h, w, pad); break;
  case SYMCLONE_LAYER_GLOBAL_AVGPOOL: st = symclone_layer_create_global_avgpool(&l, ci, n, h, w); break;
  default: st = symclone_layer_create_dense(&l, fuzz_size(in, 40), fuzz_size(in, 40), bias); break;
  }
  if (st) {
    CHECK(l == (symclone_layer *)(uintptr_t)1 && st < 0);
    return;
  }
  size_t in_size = symclone_layer_input_size(l), out_size = symclone_layer_output_size(l);
  size_t np = symclone_layer_param_count(l);
  size_t batch = 1 + fuzz_u8(in) % 3;
  CHECK(in_size > 0 && out_size > 0);
  if (in_size * batch <= SMALL_WORK && out_size * batch <= SMALL_WORK && np <= SMALL_WORK) {
    float *p = np ? malloc(np * sizeof *p) : NULL, *dp = calloc(np ? np : 1, sizeof *dp);
    float *x = floats(in, in_size * batch), *y = malloc(out_size * batch * sizeof *y);
    float *dx = malloc(in_size * batch * sizeof *dx);
    if ((p || !np) && dp && x && y && dx) {
      CHECK(symclone_layer_init_params(l, fuzz_u8(in), p) == SYMCLONE_OK);
      st = symclone_layer_forward(l, p, batch, x, y, NULL);
      CHECK(st == SYMCLONE_OK);
      for (size_t i = 0; i < out_size * batch; i++) CHECK(isfinite(y[i]));
      size_t ws = symclone_layer_workspace_size(l, batch);
      void *work = ws ? malloc(ws) : NULL;
      if (!ws || work) {
        CHECK(symclone_layer_backward(l, p, batch, x, y, dx, dp, work) == SYMCLONE_OK);
      }
      free(work);
      if (symclone_layer_is_linear(l) && in_size * out_size <= SMALL_WORK) {
        float *m = malloc(in_size * out_size * sizeof *m);
        if (m) CHECK(symclone_layer_unroll(l, p, m) == SYMCLONE_OK);
        free(m);
      }
      /* a batch that cannot fit is refused */
      CHECK(symclone_layer_forward(l, p, SIZE_MAX / 2, x, y, NULL) == SYMCLONE_ERR_OVERFLOW);
    }
    free(p);
    free(dp);
    free(x);
    free(y);
    free(dx);
  }
  symclone_layer_free(l);
}

static int stop_early(void *user, long long step, double loss, double rel, double secs) {
  (void)loss, (void)rel, (void)secs;
  return step >= *(long long *)user;
}

static void fuzz_student_trainer(fuzz_in *in) {
  symclone_student *s = (symclone_student *)(uintptr_t)1;
  int kind = (int)fuzz_u8(in) % 4;
  int n = fuzz_size(in, 5), k = fuzz_size(in, 5), h = fuzz_size(in, 7), w = fuzz_size(in, 7);
  int pad = (int)fuzz_u8(in) % 4, blocks = fuzz_size(in, 10);
  /* A valid geometry of more than 2^24 floats is a legitimate request for
   * a lot of memory, not a bug: not made here.  Overflowing ones are. */
  if (h > 0 && w > 0 && blocks > 0 && k > 0) {
    /* planar students ignore the orientations; more than 360 is refused */
    double no = kind == SYMCLONE_STUDENT_PLANAR || n < 1 || n > 360 ? 1 : n;
    double floats = (double)blocks * ((double)h * w) * ((double)h * w) +
                    no * no * no * ((double)k * k) * ((double)k * k);
    if (floats > (double)(1 << 24) && floats < 1e20) return;
    /* Nor a lot of work: the moment objective's Gram pass costs about
     * B^2 (h w)^2 products a step. */
    double gram = (double)blocks * blocks * ((double)h * w) * ((double)h * w);
    if (gram > (double)(1 << 26) && floats < 1e20) return;
  }
  symclone_status st = symclone_student_create(&s, kind, n, k, h, w, pad, blocks, fuzz_u8(in));
  if (st) {
    CHECK(s == (symclone_student *)(uintptr_t)1 && st < 0);
    return;
  }
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  size_t in_size = symclone_student_input_size(s), out_size = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  if (np > ((size_t)1 << 16)) {
    symclone_student_free(s);
    return;
  }
  float *x = floats(in, 2 * in_size), *y = malloc(2 * out_size * sizeof *y), *th = floats(in, p);
  if (x && y && th) CHECK(symclone_student_forward(s, th, 2, x, y) == SYMCLONE_OK);
  free(x);
  free(y);
  free(th);

  symclone_trainer *tr = (symclone_trainer *)(uintptr_t)1;
  st = symclone_trainer_create(&tr, s);
  if (st) {
    CHECK(tr == (symclone_trainer *)(uintptr_t)1);
    symclone_student_free(s);
    return;
  }
  int nset = (int)fuzz_u8(in) % 8;
  for (int i = 0; i < nset; i++) {
    /* trainer keys 1..23, and some keys of other objects (101..) */
    int key = fuzz_size(in, 24) + ((fuzz_u8(in) & 7) == 0 ? 100 : 0);
    double v = (fuzz_u8(in) & 1) ? fuzz_double(in) : (double)fuzz_size(in, 3);
    double lo, hi, def, got;
    st = symclone_trainer_set(tr, (symclone_setting)key, v);
    if (symclone_setting_bounds((symclone_setting)key, &lo, &hi, &def) != SYMCLONE_OK) {
      CHECK(st == SYMCLONE_ERR_ARG && symclone_setting_name((symclone_setting)key) == NULL);
      continue;
    }
    if (key > 100) { /* a net key: a setting, but not the trainer's */
      CHECK(st == SYMCLONE_ERR_ARG && symclone_setting_name((symclone_setting)key) != NULL);
      continue;
    }
    CHECK(def >= lo && def <= hi);
    if (st == SYMCLONE_OK) {
      CHECK(symclone_trainer_get(tr, (symclone_setting)key, &got) == SYMCLONE_OK && got == v);
      CHECK(v >= lo && v <= hi);
    } else {
      CHECK(st == SYMCLONE_ERR_SETTING);
    }
  }
  /* the work of a step stays small whatever was set above */
  symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, 1 + fuzz_u8(in) % 3);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 1 + fuzz_u8(in) % 3);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 1 + fuzz_u8(in) % 2);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, 1 + fuzz_u8(in) % 3);
  float *smp = NULL; /* borrowed by the trainer until it is freed */
  if (fuzz_u8(in) & 1) {
    size_t count = 1 + fuzz_u8(in) % 3;
    smp = floats(in, count * in_size);
    if (smp && (fuzz_u8(in) & 7) == 0) smp[0] = NAN;
    if (smp) {
      st = symclone_trainer_set_samples(tr, smp, count);
      CHECK(st == SYMCLONE_OK || st == SYMCLONE_ERR_DATA);
    }
  }
  long long stop_at = fuzz_u8(in) % 3;
  symclone_trainer_set_progress(tr, stop_early, &stop_at);
  double loss, rel;
  st = symclone_trainer_step(tr, &loss, &rel);
  CHECK(st <= 0);
  if (st == SYMCLONE_OK) CHECK(isfinite(loss) && loss >= 0.0);
  st = symclone_trainer_run(tr);
  CHECK(st <= 0);
  for (size_t i = 0; i < np; i++) CHECK(isfinite(symclone_student_params(s)[i]));
  symclone_trainer_free(tr);
  free(smp);
  symclone_student_free(s);
}

static void fuzz_dataset(fuzz_in *in) {
  size_t count = (size_t)fuzz_size(in, 5);
  int rows = fuzz_size(in, 8), cols = fuzz_size(in, 8), classes = fuzz_size(in, 12);
  symclone_dataset *d = (symclone_dataset *)(uintptr_t)1, *o;
  if (count > 5 || rows < 1 || cols < 1 || (long long)rows * cols > 64) {
    /* only sizes refused before the arrays are read: a size < 1, or a
     * product that overflows */
    size_t t;
    int overflow = rows > 0 && cols > 0 &&
                   __builtin_mul_overflow(count, (size_t)rows * (size_t)cols, &t);
    if (count == 0 || rows < 1 || cols < 1 || classes < 1 || overflow) {
      float f = 0.0f;
      int lab = 0;
      CHECK(symclone_dataset_create(&d, count, rows, cols, classes, &f, &lab) < 0);
      CHECK(d == (symclone_dataset *)(uintptr_t)1);
    }
    return;
  }
  float *img = floats(in, count * (size_t)rows * (size_t)cols);
  int lab[5];
  for (size_t i = 0; i < count; i++) lab[i] = (int)fuzz_u8(in) % 14;
  if (!img) return;
  if (symclone_dataset_create(&d, count, rows, cols, classes, img, lab) == SYMCLONE_OK) {
    int turns[5], shifts[10];
    if (symclone_dataset_rotate90(d, fuzz_size(in, 5) - 1, 1, turns, &o) == SYMCLONE_OK)
      symclone_dataset_free(o);
    /* canvases: any size that does not ask for more than 2^16 pixels
     * (bigger ones are legitimate requests for memory) */
    int cr = fuzz_size(in, 12), cc = fuzz_size(in, 12), canvas = fuzz_size(in, 16);
    if ((long long)cr * cc <= 65536 && symclone_dataset_place(d, cr, cc, NULL, &o) == SYMCLONE_OK)
      symclone_dataset_free(o);
    int lo = fuzz_size(in, 6), hi = fuzz_size(in, 8), vs = fuzz_size(in, 4);
    if ((long long)canvas * canvas <= 65536 &&
        symclone_dataset_make_translation_task(d, canvas, lo, hi, vs, 2, shifts, &o) ==
            SYMCLONE_OK)
      symclone_dataset_free(o);
    symclone_dataset *a, *b;
    if (symclone_dataset_split(d, (size_t)fuzz_size(in, 6), 4, &a, &b) == SYMCLONE_OK) {
      symclone_dataset_free(a);
      symclone_dataset_free(b);
    }
    symclone_dataset_free(d);
  }
  free(img);
}

static void fuzz_picture(fuzz_in *in) {
  int down = fuzz_size(in, 3), across = fuzz_size(in, 3), rows = fuzz_size(in, 9);
  int cols = fuzz_size(in, 9), up = fuzz_size(in, 3), dn = fuzz_size(in, 3), gap = fuzz_size(in, 3) - 1;
  int scale = fuzz_u8(in) % 5;
  symclone_picture *pic = NULL;
  symclone_status st = symclone_picture_create(&pic, down, across, rows, cols);
  CHECK(st <= 0);
  if (st) {
    CHECK(pic == NULL);
    return;
  }
  /* every setting, refused or not: a refused one changes nothing */
  CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_FORMAT, SYMCLONE_PICTURE_FORMAT_PGM) ==
        SYMCLONE_OK);
  st = symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE, scale);
  CHECK(st == (scale <= 3 ? SYMCLONE_OK : SYMCLONE_ERR_SETTING));
  st = symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, up);
  CHECK(st == (up >= 1 ? SYMCLONE_OK : SYMCLONE_ERR_SETTING));
  st = symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, dn);
  CHECK(st == (dn >= 1 ? SYMCLONE_OK : SYMCLONE_ERR_SETTING));
  st = symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, gap);
  CHECK(st == (gap >= 0 ? SYMCLONE_OK : SYMCLONE_ERR_SETTING));
  int width, height;
  st = symclone_picture_size(pic, &width, &height);
  if (st || (size_t)width * (size_t)height > SMALL_WORK || down * across > 9 ||
      (size_t)rows * (size_t)cols > SMALL_WORK) {
    symclone_picture_free(pic);
    return;
  }
  float *m = floats(in, (size_t)rows * (size_t)cols);
  if (m && (fuzz_u8(in) & 3) == 0) m[0] = NAN;
  const float *panels[9];
  for (int i = 0; i < down * across; i++) panels[i] = (fuzz_u8(in) & 3) ? m : NULL;
  panels[0] = m;
  char path[128];
  snprintf(path, sizeof path, "%s/picture.pgm", fuzz_tmpdir());
  if (m) {
    st = symclone_picture_write(pic, path, panels);
    CHECK(st <= 0);
  }
  unlink(path);
  free(m);
  symclone_picture_free(pic);
}

static void fuzz_diag(fuzz_in *in) {
  size_t n = (size_t)fuzz_size(in, 16);
  if (n > 64) n = 64;
  float *a = floats(in, n), *b = floats(in, n);
  double d;
  if (a && b) {
    symclone_status st = symclone_diag_relative_distance(a, b, n, &d);
    CHECK(st <= 0);
    if (st == SYMCLONE_OK) CHECK(isfinite(d) && d >= 0.0);
  }
  free(a);
  free(b);
  /* equivariance of a small layer, with fuzzed groups and shapes */
  symclone_group *g;
  int order = fuzz_size(in, 8), hw = fuzz_size(in, 7), k = fuzz_size(in, 3);
  if (symclone_group_create_cyclic(&g, order) != SYMCLONE_OK) return;
  symclone_layer *l;
  if (symclone_layer_create_lifting(&l, fuzz_size(in, 8), 1, 1, k, hw, hw, (int)fuzz_u8(in) % 3, 0) ==
      SYMCLONE_OK) {
    if (symclone_layer_param_count(l) <= 4096 && symclone_layer_input_size(l) <= SMALL_WORK &&
        symclone_layer_output_size(l) <= SMALL_WORK) {
      float *p = malloc(symclone_layer_param_count(l) * sizeof *p);
      double mean, max;
      int ishape[4], oshape[4];
      symclone_layer_input_shape(l, ishape);
      symclone_layer_output_shape(l, oshape);
      symclone_diag *dg = (symclone_diag *)(uintptr_t)1;
      symclone_status st = symclone_diag_create(&dg, g, ishape, oshape);
      CHECK(st <= 0);
      if (st) {
        CHECK(dg == (symclone_diag *)(uintptr_t)1);
        dg = NULL;
      }
      if (p && dg) {
        symclone_layer_init_params(l, 1, p);
        symclone_diag_set(dg, SYMCLONE_DIAG_SAMPLES, 2);
        symclone_diag_set(dg, SYMCLONE_DIAG_MAX_ELEMENTS, 4);
        symclone_diag_set(dg, SYMCLONE_DIAG_SEED, 3);
        CHECK(symclone_diag_layer_equivariance_error(dg, l, p, &mean, &max) <= 0);
      }
      free(p);
      size_t cells = symclone_layer_input_size(l) * symclone_layer_output_size(l);
      if (dg && cells <= SMALL_WORK) {
        float *W = floats(in, cells), *P = malloc(cells * sizeof *P);
        if (W && P) {
          CHECK(symclone_diag_reynolds_project(dg, W, P) <= 0);
          CHECK(symclone_diag_equivariant_distance(dg, W, &mean) <= 0);
        }
        free(W);
        free(P);
      }
      symclone_diag_free(dg);
    }
    symclone_layer_free(l);
  }
  symclone_group_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_in in = {data, size};
  int ops = 0;
  while (in.n && ops++ < 4) {
    switch (fuzz_u8(&in) % 6) {
    case 0: fuzz_group(&in); break;
    case 1: fuzz_layer(&in); break;
    case 2: fuzz_student_trainer(&in); break;
    case 3: fuzz_dataset(&in); break;
    case 4: fuzz_picture(&in); break;
    default: fuzz_diag(&in); break;
    }
  }
  return 0;
}
