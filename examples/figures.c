/* figures: the figures of docs/results.md, from fixed seeds, into one
 * directory (scripts/figures runs it and plots the CSV files).
 *
 * Pictures (labelled when the library has cairo, bare otherwise):
 *   fig2-transforms.png   a digit under the experiments' transformations:
 *                         shifts on the 48x48 canvas, quarter turns, mirrors
 *   fig4-matrices.png     the learned effective matrix M(theta) of the 9- and
 *                         7-block T2 students beside the unrolled 3x3
 *                         convolution K(theta), one symmetric colour scale
 *   fig4-corner.png       the top left corner of the same matrices, enlarged
 *   fig5-t2-features.png  feature maps of the teacher, both T2 students and
 *                         an untrained dense layer, original and shifted digit
 *   fig6-c4-features.png  the same for the C4 lifting convolution under the
 *                         four quarter turns (maximum over orientations)
 * CSV files (plotted by scripts/plot):
 *   curves.csv            objective,step,seconds,train_rel_loss,rel_loss,toeplitz_dist
 *                         for one 9-block T2 student trained with the
 *                         sampling, unit-kernel and moment objectives
 *   weights.csv           step,low,high,count: histogram of the dense blocks'
 *                         entries of the 9-block student during cloning
 *   equivariance.csv      group,element,angle,rel_error: the C4 and C8 lifting
 *                         teachers' equivariance error element by element
 * With --downstream, the breaking and generalisation experiments in quick
 * mode (about 12 minutes for the rotation tasks and 7 for the translation
 * task on a shared 2-core machine):
 *   rotation_accuracy.csv model,angle,accuracy
 *   breaking.csv          model,correct,label_plus_minus_10,other: the test
 *                         images of the 20-class rotation task by prediction
 *   translation_breaking.csv
 *                         the same columns for the 20-class translation task
 * --only GROUP makes one group of the above: fig2 (fig2-transforms.png),
 * equivariance, t2 (fig4-*, fig5-t2-features.png, curves.csv, weights.csv),
 * fig6, rotation (rotation_accuracy.csv, breaking.csv),
 * translation_breaking.
 *
 *   figures --out docs/img [--mnist DIR] [--downstream] [--only GROUP]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SIZE 28
#define KERNEL 3
#define OUT (SIZE - KERNEL + 1)
#define CANVAS 48

static const float sobel[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
static const char *out_dir = NULL;
static int quick = 0; /* --quick: a few steps per student, for the tests */

/* Steps of a run: n, or a tenth of it (at least 20) in quick mode. */
static long long steps_of(long long n) { return quick ? (n / 10 > 20 ? n / 10 : 20) : n; }

static void out_path(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", out_dir, name);
}

/* ---- pictures ------------------------------------------------------------ */

/* Label a picture when the library can; the bare picture otherwise. */
static int labels_on(void) { return symclone_picture_labels_available(); }

#define LABEL(call)                                                                                \
  do {                                                                                             \
    if (labels_on()) EX_CHECK(call, symclone_picture_last_error(pic));                             \
  } while (0)

static int write_picture(symclone_picture *pic, const char *name, const float *const *panels) {
  char path[1024];
  out_path(path, sizeof path, name);
  symclone_status st = symclone_picture_write(pic, path, panels);
  if (st) {
    fprintf(stderr, "figures: %s: %s\n", path, symclone_picture_last_error(pic));
    return 1;
  }
  int w = 0, h = 0;
  symclone_picture_size(pic, &w, &h);
  printf("picture=%s width=%d height=%d labelled=%d\n", path, w, h, labels_on());
  /* where the panels and labels are, for tests/examples/figures_check.py */
  const symclone_picture_region regions[] = {
      SYMCLONE_PICTURE_REGION_PANEL,   SYMCLONE_PICTURE_REGION_TITLE,
      SYMCLONE_PICTURE_REGION_ROW_LABEL, SYMCLONE_PICTURE_REGION_COLUMN_LABEL,
      SYMCLONE_PICTURE_REGION_CAPTION, SYMCLONE_PICTURE_REGION_COLOUR_BAR,
      SYMCLONE_PICTURE_REGION_COLOUR_BAR_TEXT};
  const char *region_names[] = {"panel",   "title",      "row_label",      "column_label",
                                "caption", "colour_bar", "colour_bar_text"};
  for (int k = 0; k < 7; k++)
    for (int i = 0;; i++) {
      symclone_picture_rect r;
      if (symclone_picture_locate(pic, regions[k], i, &r) != SYMCLONE_OK) break;
      if (r.width > 0)
        printf("region=%s name=%s index=%d x=%d y=%d width=%d height=%d\n", path,
               region_names[k], i, r.x, r.y, r.width, r.height);
    }
  return 0;
}

/* A "7" of the digits (dir, or where ex_find_mnist looks), or a synthetic one. */
static int load_digit(const char *dir, float img[SIZE * SIZE]) {
  char ip[1024], lp[1024];
  if (!ex_find_mnist(dir, ip, lp, sizeof ip)) {
    if (dir) {
      fprintf(stderr, "figures: --mnist %s: no digits there (scripts/fetch-mnist)\n", dir);
      return 1;
    }
    memset(img, 0, SIZE * SIZE * sizeof *img);
    for (int x = 7; x < 21; x++) img[6 * SIZE + x] = img[7 * SIZE + x] = 1.0f;
    for (int y = 8; y < 23; y++) {
      int x = 20 - (y - 8) * 2 / 3;
      img[y * SIZE + x] = img[y * SIZE + x - 1] = 1.0f;
    }
    printf("digit=synthetic\n");
    return 0;
  }
  symclone_dataset *ds = ex_load_pair(ip, lp);
  if (!ds) return 1;
  if (!ex_check_geometry(ds, ip, SIZE, SIZE)) {
    symclone_dataset_free(ds);
    return 1;
  }
  const int *labels = symclone_dataset_labels(ds);
  size_t pick = 0, n = symclone_dataset_count(ds);
  while (pick < n && labels[pick] != 7) pick++;
  if (pick == n) pick = 0;
  memcpy(img, symclone_dataset_images(ds) + pick * SIZE * SIZE, SIZE * SIZE * sizeof *img);
  symclone_dataset_free(ds);
  printf("digit=mnist index=%zu\n", pick);
  return 0;
}

/* Put a 28x28 image on the 48x48 canvas, centred and shifted by (dy, dx). */
static void place(const float *img, int dy, int dx, float *canvas) {
  memset(canvas, 0, CANVAS * CANVAS * sizeof *canvas);
  int off = (CANVAS - SIZE) / 2;
  for (int y = 0; y < SIZE; y++)
    for (int x = 0; x < SIZE; x++) {
      int cy = y + off + dy, cx = x + off + dx;
      if (cy >= 0 && cy < CANVAS && cx >= 0 && cx < CANVAS) canvas[cy * CANVAS + cx] = img[y * SIZE + x];
    }
}

/* Fig. 2: translations, quarter turns and mirrors of the digit. */
static int fig2(const float *digit) {
  int rc = 1;
  symclone_group *d4 = NULL;
  symclone_picture *pic = NULL;
  float *cells = malloc(12 * CANVAS * CANVAS * sizeof *cells), t[SIZE * SIZE];
  const float *panels[12];
  if (!cells) return 1;
  const int shift[4][2] = {{0, 0}, {0, -10}, {0, 10}, {8, 15}};
  const char *shift_caption[4] = {"centred", "left 10", "right 10 (+10)", "right 15, down 8"};
  const char *rot_caption[4] = {"0\u00b0", "90\u00b0", "180\u00b0", "270\u00b0"};
  const char *mirror_caption[4] = {"mirrored", "mirrored, 90\u00b0", "mirrored, 180\u00b0",
                                   "mirrored, 270\u00b0"};
  EX_CHECK(symclone_group_create_dihedral(&d4, 4), NULL);
  for (int k = 0; k < 4; k++) {
    place(digit, shift[k][0], shift[k][1], cells + (size_t)k * CANVAS * CANVAS);
    EX_CHECK(symclone_group_act_planar(d4, k, 1, SIZE, SIZE, digit, t), symclone_group_last_error(d4));
    place(t, 0, 0, cells + (size_t)(4 + k) * CANVAS * CANVAS);
    EX_CHECK(symclone_group_act_planar(d4, 4 + k, 1, SIZE, SIZE, digit, t),
             symclone_group_last_error(d4));
    place(t, 0, 0, cells + (size_t)(8 + k) * CANVAS * CANVAS);
  }
  for (int k = 0; k < 12; k++) panels[k] = cells + (size_t)k * CANVAS * CANVAS;
  EX_CHECK(symclone_picture_create(&pic, 3, 4, CANVAS, CANVAS), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE, SYMCLONE_PICTURE_SCALE_MINMAX), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, 4), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), NULL);
  LABEL(symclone_picture_set_title(pic, "A digit under the experiments' transformations (48x48 canvas)"));
  LABEL(symclone_picture_set_row_label(pic, 0, "translations (T2)"));
  LABEL(symclone_picture_set_row_label(pic, 1, "quarter turns (C4)"));
  LABEL(symclone_picture_set_row_label(pic, 2, "mirrors (D4)"));
  for (int k = 0; k < 4; k++) {
    LABEL(symclone_picture_set_caption(pic, k, shift_caption[k]));
    LABEL(symclone_picture_set_caption(pic, 4 + k, rot_caption[k]));
    LABEL(symclone_picture_set_caption(pic, 8 + k, mirror_caption[k]));
  }
  rc = write_picture(pic, "fig2-transforms.png", panels);
done:
  symclone_picture_free(pic);
  symclone_group_free(d4);
  free(cells);
  return rc;
}

/* ---- cloning with a record of the progress ------------------------------- */

#define HIST_BINS 60
#define HIST_LOW (-0.5)
#define HIST_HIGH 1.5

typedef struct recorder {
  symclone_student *s;
  const char *objective;
  FILE *curves, *weights; /* weights NULL: no histogram */
  float *blocks;
  size_t nblocks;
  long long last; /* the last step, always in the histogram */
  int failed;
} recorder;

static void histogram(recorder *r, long long step) {
  if (symclone_student_get_params(r->s, SYMCLONE_STUDENT_PART_BLOCKS, r->blocks, r->nblocks)) {
    r->failed = 1;
    return;
  }
  long long count[HIST_BINS] = {0};
  double width = (HIST_HIGH - HIST_LOW) / HIST_BINS;
  for (size_t i = 0; i < r->nblocks; i++) {
    double b = floor((r->blocks[i] - HIST_LOW) / width);
    int k = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : (int)b;
    count[k]++;
  }
  for (int k = 0; k < HIST_BINS; k++)
    fprintf(r->weights, "%lld,%.4f,%.4f,%lld\n", step, HIST_LOW + k * width,
            HIST_LOW + (k + 1) * width, count[k]);
}

static int record(void *user, long long step, double loss, double rel_loss, double seconds) {
  (void)loss;
  recorder *r = user;
  double exact = NAN, dist = NAN;
  if (symclone_student_relative_loss(r->s, &exact) ||
      symclone_student_toeplitz_distance(r->s, 2, 7, &dist, NULL)) {
    r->failed = 1;
    return 1;
  }
  fprintf(r->curves, "%s,%lld,%.4f,%.6e,%.6e,%.6e\n", r->objective, step, seconds, rel_loss, exact,
          dist);
  if (r->weights && (step == 10 || step == 20 || step == 50 || step == 100 || step == r->last))
    histogram(r, step);
  return r->failed;
}

/* Train s with the examples' schedule (lr 1e-2 held for 70 % of the steps,
 * then a cosine decay), recording every `every` steps. */
static symclone_status clone(symclone_student *s, symclone_objective objective, long long steps,
                             long long every, recorder *r) {
  symclone_trainer *tr = NULL;
  symclone_status st = symclone_trainer_create(&tr, s);
  if (st) return st;
  const symclone_setting keys[] = {
      SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_TRAINER_LEARNING_RATE, SYMCLONE_TRAINER_KERNELS,
      SYMCLONE_TRAINER_INPUTS,    SYMCLONE_TRAINER_SEED,          SYMCLONE_TRAINER_THREADS,
      SYMCLONE_TRAINER_SCHEDULE,  SYMCLONE_TRAINER_HOLD_STEPS,    SYMCLONE_TRAINER_MAX_STEPS,
      SYMCLONE_TRAINER_PROGRESS_EVERY};
  const double values[] = {objective, 1e-2, 16, 64, 0, ex_online_cpus(), SYMCLONE_SCHEDULE_COSINE,
                           (double)(steps * 7 / 10), (double)steps, (double)every};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0] && !st; k++)
    st = symclone_trainer_set(tr, keys[k], values[k]);
  if (!st && r) st = symclone_trainer_set_progress(tr, record, r);
  if (!st) st = symclone_trainer_run(tr);
  if (st) fprintf(stderr, "figures: training failed: %s\n", symclone_trainer_last_error(tr));
  symclone_trainer_free(tr);
  if (!st && r && r->failed) st = SYMCLONE_ERR_DATA;
  return st;
}

/* ---- T2: curves, weights, Fig. 4 and Fig. 5 ------------------------------- */

static int t2_figures(const float *digit) {
  int rc = 1;
  symclone_student *st[2] = {NULL, NULL}, *other = NULL;
  symclone_layer *teacher = NULL, *dense = NULL;
  symclone_group *t2 = NULL;
  symclone_picture *pic = NULL;
  FILE *curves = NULL, *weights = NULL;
  float *mats = NULL, *dparams = NULL, *maps = NULL, *blocks = NULL, *crop = NULL;
  char path[1024];
  const size_t in = SIZE * SIZE, out = OUT * OUT, mat = in * out;

  out_path(path, sizeof path, "curves.csv");
  curves = fopen(path, "w");
  out_path(path, sizeof path, "weights.csv");
  weights = fopen(path, "w");
  if (!curves || !weights) {
    fprintf(stderr, "figures: cannot write the CSV files in %s\n", out_dir);
    goto done;
  }
  fprintf(curves, "objective,step,seconds,train_rel_loss,rel_loss,toeplitz_dist\n");
  fprintf(weights, "step,low,high,count\n");

  const int blocks_of[2] = {9, 7};
  for (int i = 0; i < 2; i++) {
    EX_CHECK(symclone_student_create(&st[i], SYMCLONE_STUDENT_PLANAR, 1, KERNEL, SIZE, SIZE,
                                     SYMCLONE_PADDING_VALID, blocks_of[i], 0),
             NULL);
  }
  /* the 9-block student with the moment objective, recorded */
  size_t nb = symclone_student_param_count(st[0], SYMCLONE_STUDENT_PART_BLOCKS);
  blocks = malloc(nb * sizeof *blocks);
  if (!blocks) goto done;
  recorder r = {st[0], "moment", curves, weights, blocks, nb, steps_of(400), 0};
  histogram(&r, 0);
  if (record(&r, 0, 0, NAN, 0.0)) goto done;
  EX_CHECK(clone(st[0], SYMCLONE_OBJECTIVE_MOMENT, steps_of(400), 10, &r), NULL);
  EX_CHECK(clone(st[1], SYMCLONE_OBJECTIVE_MOMENT, steps_of(400), 400, NULL), NULL);
  /* the same student (same seed) with the other two objectives */
  const struct {
    symclone_objective objective;
    const char *name;
    long long steps, every;
  } runs[2] = {{SYMCLONE_OBJECTIVE_UNIT_KERNELS, "unit_kernels", 400, 10},
               {SYMCLONE_OBJECTIVE_STOCHASTIC, "sampling", 1500, 25}};
  for (int k = 0; k < 2; k++) {
    EX_CHECK(symclone_student_create(&other, SYMCLONE_STUDENT_PLANAR, 1, KERNEL, SIZE, SIZE,
                                     SYMCLONE_PADDING_VALID, 9, 0),
             NULL);
    recorder q = {other, runs[k].name, curves, NULL, NULL, 0, 0, 0};
    if (record(&q, 0, 0, NAN, 0.0)) goto done;
    EX_CHECK(clone(other, runs[k].objective, steps_of(runs[k].steps), quick ? 10 : runs[k].every, &q),
             NULL);
    symclone_student_free(other);
    other = NULL;
  }
  printf("csv=%s/curves.csv\ncsv=%s/weights.csv\n", out_dir, out_dir);

  /* Fig. 4: M(theta) | K(theta) for 9 and 7 blocks */
  EX_CHECK(symclone_layer_create_conv2d(&teacher, 1, 1, KERNEL, SIZE, SIZE, SYMCLONE_PADDING_VALID, 0),
           NULL);
  mats = malloc(3 * mat * sizeof *mats);
  if (!mats) goto done;
  EX_CHECK(symclone_student_effective_matrix(st[0], sobel, mats), NULL);
  EX_CHECK(symclone_student_effective_matrix(st[1], sobel, mats + mat), NULL);
  EX_CHECK(symclone_layer_unroll(teacher, sobel, mats + 2 * mat), symclone_layer_last_error(teacher));
  const float *fig4_panels[4] = {mats, mats + 2 * mat, mats + mat, mats + 2 * mat};
  EX_CHECK(symclone_picture_create(&pic, 2, 2, (int)out, (int)in), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, 2), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 12), NULL);
  LABEL(symclone_picture_set_title(pic, "T2: 3x3 valid convolution on 28x28 (676 x 784), Sobel kernel"));
  LABEL(symclone_picture_set_column_label(pic, 0, "learned effective matrix M(\u03b8)"));
  LABEL(symclone_picture_set_column_label(pic, 1, "unrolled convolution K(\u03b8)"));
  LABEL(symclone_picture_set_row_label(pic, 0, "9 blocks"));
  LABEL(symclone_picture_set_row_label(pic, 1, "7 blocks"));
  LABEL(symclone_picture_set_colour_bar(pic, 1, "weight"));
  if (write_picture(pic, "fig4-matrices.png", fig4_panels)) goto done;
  symclone_picture_free(pic);
  pic = NULL;

  /* the same, the top left corner: outputs of 2 rows, inputs of 3 rows */
  enum { ZR = 2 * OUT, ZC = 3 * SIZE };
  crop = malloc(3 * ZR * ZC * sizeof *crop);
  if (!crop) goto done;
  for (int p = 0; p < 3; p++)
    for (int i = 0; i < ZR; i++)
      memcpy(crop + ((size_t)p * ZR + i) * ZC, mats + p * mat + (size_t)i * in, ZC * sizeof *crop);
  const float *zoom_panels[4] = {crop, crop + 2 * ZR * ZC, crop + ZR * ZC, crop + 2 * ZR * ZC};
  EX_CHECK(symclone_picture_create(&pic, 2, 2, ZR, ZC), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, 4), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 12), NULL);
  LABEL(symclone_picture_set_title(pic, "The top left corner: outputs of 2 rows, inputs of 3 rows"));
  LABEL(symclone_picture_set_column_label(pic, 0, "learned M(\u03b8), 52 x 84"));
  LABEL(symclone_picture_set_column_label(pic, 1, "unrolled K(\u03b8), 52 x 84"));
  LABEL(symclone_picture_set_row_label(pic, 0, "9 blocks"));
  LABEL(symclone_picture_set_row_label(pic, 1, "7 blocks"));
  LABEL(symclone_picture_set_colour_bar(pic, 1, "weight"));
  if (write_picture(pic, "fig4-corner.png", zoom_panels)) goto done;
  symclone_picture_free(pic);
  pic = NULL;

  /* Fig. 5: feature maps of the original and the shifted digit */
  EX_CHECK(symclone_group_create_t2(&t2, SIZE, SIZE), NULL);
  int g;
  EX_CHECK(symclone_group_t2_element(t2, 3, 6, &g), symclone_group_last_error(t2));
  EX_CHECK(symclone_layer_create_dense(&dense, (int)in, (int)out, 1), NULL);
  dparams = malloc((mat + out) * sizeof *dparams);
  maps = malloc(8 * out * sizeof *maps + in * sizeof *maps);
  if (!dparams || !maps) goto done;
  EX_CHECK(symclone_layer_init_params(dense, 1, dparams), NULL);
  float *shifted = maps + 8 * out;
  EX_CHECK(symclone_group_act_planar(t2, g, 1, SIZE, SIZE, digit, shifted), NULL);
  for (int c = 0; c < 2; c++) {
    const float *x = c ? shifted : digit;
    EX_CHECK(symclone_layer_forward(teacher, sobel, 1, x, maps + (0 * 2 + c) * out, NULL), NULL);
    EX_CHECK(symclone_student_forward(st[0], sobel, 1, x, maps + (1 * 2 + c) * out), NULL);
    EX_CHECK(symclone_student_forward(st[1], sobel, 1, x, maps + (2 * 2 + c) * out), NULL);
    EX_CHECK(symclone_layer_forward(dense, dparams, 1, x, maps + (3 * 2 + c) * out, NULL), NULL);
  }
  const float *fig5_panels[8];
  for (int k = 0; k < 8; k++) fig5_panels[k] = maps + k * out;
  EX_CHECK(symclone_picture_create(&pic, 4, 2, OUT, OUT), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE,
                                SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL),
           NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, 5), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 6), NULL);
  LABEL(symclone_picture_set_title(pic, "T2 feature maps; shift: 3 down, 6 right (cyclic)"));
  LABEL(symclone_picture_set_column_label(pic, 0, "original"));
  LABEL(symclone_picture_set_column_label(pic, 1, "shifted"));
  LABEL(symclone_picture_set_row_label(pic, 0, "teacher convolution"));
  LABEL(symclone_picture_set_row_label(pic, 1, "9-block clone"));
  LABEL(symclone_picture_set_row_label(pic, 2, "7-block clone"));
  LABEL(symclone_picture_set_row_label(pic, 3, "untrained dense"));
  LABEL(symclone_picture_set_colour_bar(pic, 1, "each panel's own range"));
  if (write_picture(pic, "fig5-t2-features.png", fig5_panels)) goto done;
  rc = 0;
done:
  if (curves) fclose(curves);
  if (weights) fclose(weights);
  symclone_picture_free(pic);
  symclone_student_free(st[0]);
  symclone_student_free(st[1]);
  symclone_student_free(other);
  symclone_layer_free(teacher);
  symclone_layer_free(dense);
  symclone_group_free(t2);
  free(mats), free(dparams), free(maps), free(blocks), free(crop);
  return rc;
}

/* ---- C4: Fig. 6 ------------------------------------------------------------ */

static void orientation_max(const float *y, float *map) {
  for (int t = 0; t < OUT * OUT; t++) {
    float m = y[t];
    for (int r = 1; r < 4; r++)
      if (y[r * OUT * OUT + t] > m) m = y[r * OUT * OUT + t];
    map[t] = m;
  }
}

static int c4_figure(const float *digit) {
  int rc = 1;
  symclone_student *st[2] = {NULL, NULL};
  symclone_layer *teacher = NULL, *dense = NULL;
  symclone_group *c4 = NULL;
  symclone_picture *pic = NULL;
  const size_t in = SIZE * SIZE, out = 4 * OUT * OUT;
  float *dparams = malloc((in * out + out) * sizeof *dparams);
  float *maps = malloc(16 * OUT * OUT * sizeof *maps), *y = malloc(out * sizeof *y);
  float *rot = malloc(in * sizeof *rot);
  if (!dparams || !maps || !y || !rot) goto done;
  EX_CHECK(symclone_group_create_cyclic(&c4, 4), NULL);
  EX_CHECK(symclone_layer_create_lifting(&teacher, 4, 1, 1, KERNEL, SIZE, SIZE,
                                         SYMCLONE_PADDING_VALID, 0),
           NULL);
  EX_CHECK(symclone_layer_create_dense(&dense, (int)in, (int)out, 1), NULL);
  EX_CHECK(symclone_layer_init_params(dense, 1, dparams), NULL);
  const int blocks_of[2] = {9, 7};
  for (int i = 0; i < 2; i++) {
    EX_CHECK(symclone_student_create(&st[i], SYMCLONE_STUDENT_LIFTING, 4, KERNEL, SIZE, SIZE,
                                     SYMCLONE_PADDING_VALID, blocks_of[i], 0),
             NULL);
    EX_CHECK(clone(st[i], SYMCLONE_OBJECTIVE_MOMENT, steps_of(600), 600, NULL), NULL);
    double dist;
    EX_CHECK(symclone_student_toeplitz_distance(st[i], 8, 12345, &dist, NULL), NULL);
    printf("c4_student blocks=%d toeplitz_rel_dist=%.3e\n", blocks_of[i], dist);
  }
  for (int q = 0; q < 4; q++) {
    EX_CHECK(symclone_group_act_planar(c4, q, 1, SIZE, SIZE, digit, rot), NULL);
    EX_CHECK(symclone_layer_forward(teacher, sobel, 1, rot, y, NULL), NULL);
    orientation_max(y, maps + (0 * 4 + q) * OUT * OUT);
    EX_CHECK(symclone_student_forward(st[0], sobel, 1, rot, y), NULL);
    orientation_max(y, maps + (1 * 4 + q) * OUT * OUT);
    EX_CHECK(symclone_student_forward(st[1], sobel, 1, rot, y), NULL);
    orientation_max(y, maps + (2 * 4 + q) * OUT * OUT);
    EX_CHECK(symclone_layer_forward(dense, dparams, 1, rot, y, NULL), NULL);
    orientation_max(y, maps + (3 * 4 + q) * OUT * OUT);
  }
  const float *panels[16];
  for (int k = 0; k < 16; k++) panels[k] = maps + k * OUT * OUT;
  EX_CHECK(symclone_picture_create(&pic, 4, 4, OUT, OUT), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE,
                                SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL),
           NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, 4), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 6), NULL);
  LABEL(symclone_picture_set_title(pic, "C4 lifting: max over orientations, rotated inputs"));
  const char *angle[4] = {"0\u00b0", "90\u00b0", "180\u00b0", "270\u00b0"};
  for (int q = 0; q < 4; q++) LABEL(symclone_picture_set_column_label(pic, q, angle[q]));
  LABEL(symclone_picture_set_row_label(pic, 0, "teacher (C4 lifting)"));
  LABEL(symclone_picture_set_row_label(pic, 1, "9-block clone"));
  LABEL(symclone_picture_set_row_label(pic, 2, "7-block clone"));
  LABEL(symclone_picture_set_row_label(pic, 3, "untrained dense"));
  LABEL(symclone_picture_set_colour_bar(pic, 1, "each panel's own range"));
  rc = write_picture(pic, "fig6-c4-features.png", panels);
done:
  symclone_picture_free(pic);
  symclone_student_free(st[0]);
  symclone_student_free(st[1]);
  symclone_layer_free(teacher);
  symclone_layer_free(dense);
  symclone_group_free(c4);
  free(dparams), free(maps), free(y), free(rot);
  return rc;
}

/* ---- equivariance error element by element (C4, C8) ------------------------ */

/* ||a - b|| / ||b|| over the output pixels whose k x k receptive field
 * lies inside the input's inscribed disc (the part a rotation keeps), in
 * every orientation plane. */
static double disc_error(const float *a, const float *b, int planes, int hw, int k) {
  double c = (hw - 1) / 2.0, r = 0.5 * (SIZE - 1) - (k - 1) / sqrt(2.0);
  double num = 0.0, den = 0.0;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < hw; y++)
      for (int x = 0; x < hw; x++) {
        if ((y - c) * (y - c) + (x - c) * (x - c) > r * r) continue;
        size_t i = ((size_t)p * hw + y) * hw + x;
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
      }
  return den > 0 ? sqrt(num / den) : NAN;
}

static int equivariance_csv(void) {
  int rc = 1;
  char path[1024];
  out_path(path, sizeof path, "equivariance.csv");
  FILE *f = fopen(path, "w");
  symclone_group *grp = NULL;
  symclone_layer *layer = NULL;
  float *params = NULL, *x = NULL, *gx = NULL, *y = NULL, *ygx = NULL, *gy = NULL;
  if (!f) {
    fprintf(stderr, "figures: cannot write %s\n", path);
    return 1;
  }
  fprintf(f, "group,filter,element,angle,rel_error\n");
  const int k = 5, out_hw = SIZE - k + 1;
  x = malloc(SIZE * SIZE * sizeof *x);
  gx = malloc(SIZE * SIZE * sizeof *gx);
  if (!x || !gx) goto done;
  /* a smooth input: a sum of broad bumps */
  for (int yy = 0; yy < SIZE; yy++)
    for (int xx = 0; xx < SIZE; xx++) {
      double u = (xx - 13.5) / 6.0, v = (yy - 13.5) / 6.0;
      x[yy * SIZE + xx] = (float)(exp(-(u - 0.8) * (u - 0.8) - v * v) +
                                  0.7 * exp(-(u + 0.5) * (u + 0.5) - (v - 0.9) * (v - 0.9)) +
                                  0.3 * sin(0.4 * xx + 0.2 * yy));
    }
  const int orders[2] = {4, 8};
  for (int o = 0; o < 4; o++) {
    int n = orders[o / 2], smooth = o % 2;
    size_t out = (size_t)n * out_hw * out_hw;
    EX_CHECK(symclone_group_create_cyclic(&grp, n), NULL);
    EX_CHECK(symclone_layer_create_lifting(&layer, n, 1, 1, k, SIZE, SIZE, SYMCLONE_PADDING_VALID, 0),
             NULL);
    params = malloc(symclone_layer_param_count(layer) * sizeof *params);
    y = malloc(out * sizeof *y);
    ygx = malloc(out * sizeof *ygx);
    gy = malloc(out * sizeof *gy);
    if (!params || !y || !ygx || !gy) goto done;
    EX_CHECK(symclone_layer_init_params(layer, 3, params), NULL);
    if (smooth) /* a derivative of a Gaussian (sigma 1.2) across x */
      for (int i = 0; i < k * k; i++) {
        double u = i % k - (k - 1) / 2.0, v = i / k - (k - 1) / 2.0;
        params[i] = (float)(u * exp(-(u * u + v * v) / (2 * 1.44)));
      }
    EX_CHECK(symclone_layer_forward(layer, params, 1, x, y, NULL), NULL);
    for (int g = 0; g < n; g++) {
      EX_CHECK(symclone_group_act_planar(grp, g, 1, SIZE, SIZE, x, gx), symclone_group_last_error(grp));
      EX_CHECK(symclone_layer_forward(layer, params, 1, gx, ygx, NULL), NULL);
      EX_CHECK(symclone_group_act_group(grp, g, 1, n, out_hw, out_hw, y, gy),
               symclone_group_last_error(grp));
      fprintf(f, "C%d,%s,%d,%g,%.6e\n", n, smooth ? "smooth" : "random", g, 360.0 * g / n,
              disc_error(ygx, gy, n, out_hw, k));
    }
    symclone_group_free(grp), grp = NULL;
    symclone_layer_free(layer), layer = NULL;
    free(params), free(y), free(ygx), free(gy);
    params = y = ygx = gy = NULL;
  }
  printf("csv=%s\n", path);
  rc = 0;
done:
  fclose(f);
  symclone_group_free(grp);
  symclone_layer_free(layer);
  free(params), free(x), free(gx), free(y), free(ygx), free(gy);
  return rc;
}

/* ---- downstream (quick mode of the breaking and generalisation experiments) - */

/* The experiments' quick mode: 3,000 training images, 5 epochs; the digits
 * in mnist when given.  0, or 1 when they are not found there. */
static int quick_opts(const char *mnist, ex_xp_opts *o) {
  static char ip[1024], lp[1024];
  memset(o, 0, sizeof *o);
  o->quick = 1;
  o->train_count = 3000;
  o->epochs = 5;
  if (mnist) {
    if (!ex_find_mnist(mnist, ip, lp, sizeof ip)) {
      fprintf(stderr, "figures: no digits in %s\n", mnist);
      return 1;
    }
    o->images = ip;
    o->labels = lp;
  }
  return 0;
}

/* Sort the test images of a 20-class breaking task (label t and t + 10 are
 * the same digit) by prediction: right, the same digit with the other half's
 * label, another digit; one row of CSV and a line on stdout.  0, or 1 after
 * a message. */
static int breakdown(symclone_net *net, const symclone_dataset *test, const char *task,
                     const char *name, FILE *csv) {
  long long *conf = calloc(20 * 20, sizeof *conf);
  if (!conf) return 1;
  if (symclone_net_evaluate(net, symclone_dataset_images(test), symclone_dataset_labels(test),
                            symclone_dataset_count(test), NULL, NULL, conf)) {
    fprintf(stderr, "figures: %s: %s\n", name, symclone_net_last_error(net));
    free(conf);
    return 1;
  }
  long long right = 0, swapped = 0, other = 0;
  for (int t = 0; t < 20; t++)
    for (int p = 0; p < 20; p++) {
      long long c = conf[t * 20 + p];
      if (p == t) right += c;
      else if (p % 10 == t % 10) swapped += c;
      else other += c;
    }
  free(conf);
  double total = (double)(right + swapped + other);
  fprintf(csv, "\"%s\",%.4f,%.4f,%.4f\n", name, right / total, swapped / total, other / total);
  fflush(csv);
  printf("model=%s task=%s correct=%.4f swapped=%.4f\n", name, task, right / total,
         swapped / total);
  fflush(stdout);
  return 0;
}

static int downstream(const char *mnist) {
  int rc = 1;
  char path[1024];
  ex_xp_opts o;
  if (quick_opts(mnist, &o)) return 1;
  symclone_dataset *train0 = NULL, *test0 = NULL, *train = NULL, *test = NULL, *rt = NULL;
  ex_rot_students st = {NULL, NULL, NULL};
  FILE *acc = NULL, *brk = NULL;
  out_path(path, sizeof path, "rotation_accuracy.csv");
  acc = fopen(path, "w");
  out_path(path, sizeof path, "breaking.csv");
  brk = fopen(path, "w");
  if (!acc || !brk) goto done;
  fprintf(acc, "model,angle,accuracy\n");
  fprintf(brk, "model,correct,label_plus_minus_10,other\n");
  if (ex_xp_load(&o, &train0, &test0)) goto done;
  const char *names[5] = {"G-CNN", "cloned G-CNN, retain", "cloned G-CNN, break", "CNN", "MLP"};
  for (int task = 0; task < 2; task++) {
    int classes = task ? 20 : 10;
    ex_rot_geom g = ex_rot_geom_for(&o, classes);
    symclone_dataset_free(train), train = NULL;
    symclone_dataset_free(test), test = NULL;
    if (task) {
      if (symclone_dataset_make_rotation_task(train0, 1, NULL, &train) ||
          symclone_dataset_make_rotation_task(test0, 2, NULL, &test))
        goto done;
    } else if (symclone_dataset_rotate90(train0, 0, 0, NULL, &train) ||
               symclone_dataset_rotate90(test0, 0, 0, NULL, &test)) {
      goto done;
    }
    if (ex_xp_downsample(&train) || ex_xp_downsample(&test)) goto done;
    if (!st.lift && ex_rot_clone(&g, 3000, 2000, &st)) goto done;
    for (int m = 0; m < 5; m++) {
      const char *kind = m == 3 ? "cnn" : m == 4 ? "mlp" : "gcnn";
      symclone_net *net =
          ex_rot_model(&g, kind, (m == 1 || m == 2) ? &st : NULL,
                       m == 2 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, 0.0, 1);
      if (!net) goto done;
      if (ex_xp_train(net, names[m], train, o.epochs, 3e-3, 2) < 0) {
        symclone_net_free(net);
        goto done;
      }
      if (!task) {
        for (int q = 0; q < 4; q++) {
          symclone_dataset_free(rt), rt = NULL;
          if (symclone_dataset_rotate90(test, q, 0, NULL, &rt)) {
            symclone_net_free(net);
            goto done;
          }
          double a = ex_xp_accuracy(net, rt);
          fprintf(acc, "\"%s\",%d,%.4f\n", names[m], 90 * q, a);
          printf("model=%s angle=%d acc=%.4f\n", names[m], 90 * q, a);
        }
      } else if (breakdown(net, test, "rotation_breaking", names[m], brk)) {
        symclone_net_free(net);
        goto done;
      }
      fflush(acc);
      fflush(brk);
      symclone_net_free(net);
    }
  }
  printf("csv=%s/rotation_accuracy.csv\ncsv=%s/breaking.csv\n", out_dir, out_dir);
  rc = 0;
done:
  if (rc) fprintf(stderr, "figures: the downstream runs failed\n");
  if (acc) fclose(acc);
  if (brk) fclose(brk);
  ex_rot_free(&st);
  symclone_dataset_free(train0), symclone_dataset_free(test0), symclone_dataset_free(train);
  symclone_dataset_free(test), symclone_dataset_free(rt);
  return rc;
}

/* The translation breaking task in quick mode, the models of
 * examples/translation_breaking.c with its seeds (student 0, networks 1,
 * training 2). */
static int translation_breaking(const char *mnist) {
  int rc = 1;
  char path[1024];
  ex_xp_opts o;
  if (quick_opts(mnist, &o)) return 1;
  symclone_dataset *train0 = NULL, *test0 = NULL, *train = NULL, *test = NULL;
  symclone_student *st = NULL;
  out_path(path, sizeof path, "translation_breaking.csv");
  FILE *brk = fopen(path, "w");
  if (!brk) {
    fprintf(stderr, "figures: cannot write %s\n", path);
    return 1;
  }
  fprintf(brk, "model,correct,label_plus_minus_10,other\n");
  const int hw = 24, channels = 8;
  if (ex_xp_load(&o, &train0, &test0) || ex_trans_task(train0, test0, &train, &test)) goto done;
  st = ex_xp_clone("planar", SYMCLONE_STUDENT_PLANAR, 3, hw, SYMCLONE_PADDING_CIRCULAR, 400);
  if (!st) goto done;
  const char *names[4] = {"cloned CNN, retain", "cloned CNN, break", "CNN", "MLP"};
  for (int m = 0; m < 4; m++) {
    symclone_net *net =
        ex_trans_model(m == 3 ? "mlp" : "cnn", m < 2 ? st : NULL, hw, channels,
                       m == 1 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, 0.0, 1);
    if (!net) goto done;
    int bad = ex_xp_train(net, names[m], train, o.epochs, 3e-3, 2) < 0 ||
              breakdown(net, test, "translation_breaking", names[m], brk);
    symclone_net_free(net);
    if (bad) goto done;
  }
  printf("csv=%s\n", path);
  rc = 0;
done:
  if (rc) fprintf(stderr, "figures: the translation breaking runs failed\n");
  fclose(brk);
  symclone_student_free(st);
  symclone_dataset_free(train0), symclone_dataset_free(test0);
  symclone_dataset_free(train), symclone_dataset_free(test);
  return rc;
}

int main(int argc, char **argv) {
  const char *mnist = NULL;
  int with_downstream = 0, only = -1;
  const ex_option opts[] = {
      {"--out", EX_OPT_DIR, &out_dir, "DIR", 0, 0, 0, NULL,
       "the directory the figures and CSV files go to (required)"},
      {"--mnist", EX_OPT_DIR, &mnist, "DIR", 0, 0, 0, NULL,
       "the digits (default: where the experiments look; a synthetic 7 if none)"},
      {"--quick", EX_OPT_FLAG, &quick, NULL, 0, 0, 0, NULL,
       "a tenth of the cloning steps (the figures' layout, not their content; for tests)"},
      {"--downstream", EX_OPT_FLAG, &with_downstream, NULL, 0, 0, 0, NULL,
       "also the breaking and generalisation experiments in quick mode (about\n"
       "20 minutes; needs the digits)"},
      {"--only", EX_OPT_CHOICE, &only, NULL, 0, 0, 0,
       "fig2|equivariance|t2|fig6|rotation|translation_breaking",
       "make only this group of figures (docs/figures.md)"},
  };
  int rc = ex_parse(argc, argv,
                    "Write the figures of docs/results.md (PNG) and the data of its plots (CSV).",
                    opts, (int)(sizeof opts / sizeof opts[0]));
  if (rc >= 0) return rc;
  if (!out_dir) {
    fprintf(stderr, "figures: --out DIR is required\n");
    return 2;
  }
  float digit[SIZE * SIZE];
  printf("library_version=%s labels=%d\n", symclone_version_string(),
         symclone_picture_labels_available());
  enum { FIG2, EQUIVARIANCE, T2, FIG6, ROTATION, TRANSLATION };
  int all = only < 0;
  if ((all || only == FIG2 || only == T2 || only == FIG6) && load_digit(mnist, digit)) return 1;
  if ((all || only == FIG2) && fig2(digit)) return 1;
  if ((all || only == EQUIVARIANCE) && equivariance_csv()) return 1;
  if ((all || only == T2) && t2_figures(digit)) return 1;
  if ((all || only == FIG6) && c4_figure(digit)) return 1;
  if (((all && with_downstream) || only == ROTATION) && downstream(mnist)) return 1;
  if (((all && with_downstream) || only == TRANSLATION) && translation_breaking(mnist)) return 1;
  return 0;
}
