/* symclone picture: the matrix picture (the student's effective matrix
 * beside the teacher's unrolled matrix) and the feature-map picture
 * (teacher and student on an input acted on by group elements). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define DIGIT 28

/* A "7" that no rotation or reflection maps to itself: a top bar and a
 * slanted stroke, on a 28x28 canvas. */
static void synthetic_digit(float *img) {
  memset(img, 0, DIGIT * DIGIT * sizeof *img);
  for (int x = 7; x < 21; x++) img[6 * DIGIT + x] = img[7 * DIGIT + x] = 1.0f;
  for (int y = 8; y < 23; y++) {
    int x = 20 - (y - 8) * 2 / 3;
    img[y * DIGIT + x] = img[y * DIGIT + x - 1] = 1.0f;
  }
}

/* The first 7 of the digits of scripts/fetch-mnist in dir; 0, or 1 after
 * a message. */
static int mnist_digit(const char *dir, float *img) {
  char ip[4096], lp[4096];
  snprintf(ip, sizeof ip, "%s/mnist10k-images-idx3-ubyte.gz", dir);
  snprintf(lp, sizeof lp, "%s/mnist10k-labels-idx1-ubyte.gz", dir);
  symclone_loader *loader = NULL;
  symclone_dataset *ds = NULL;
  symclone_status st = symclone_loader_create(&loader);
  if (!st) st = symclone_dataset_load_idx(&ds, ip, lp, 10, loader);
  if (st) {
    int rc = tool_fail("--mnist %s: %s (%s; scripts/fetch-mnist makes the digits)", dir,
                       *symclone_loader_last_error(loader) ? symclone_loader_last_error(loader)
                                                           : "cannot load the digits",
                       symclone_strerror(st));
    symclone_loader_free(loader);
    return rc;
  }
  symclone_loader_free(loader);
  if (symclone_dataset_rows(ds) != DIGIT || symclone_dataset_cols(ds) != DIGIT) {
    int rc = tool_fail("--mnist %s: the images are %dx%d, not 28x28", dir,
                       symclone_dataset_rows(ds), symclone_dataset_cols(ds));
    symclone_dataset_free(ds);
    return rc;
  }
  const int *labels = symclone_dataset_labels(ds);
  size_t n = symclone_dataset_count(ds), pick = 0;
  while (pick < n && labels[pick] != 7) pick++;
  if (pick == n) pick = 0;
  memcpy(img, symclone_dataset_images(ds) + pick * DIGIT * DIGIT, DIGIT * DIGIT * sizeof *img);
  symclone_dataset_free(ds);
  return 0;
}

/* Nearest-neighbour resampling of the 28x28 digit to h x w. */
static void resample(const float *src, int h, int w, float *dst) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      dst[y * w + x] = src[(y * DIGIT / h) * DIGIT + x * DIGIT / w];
}

/* The group elements of the columns: at most 4. */
static int columns(const symclone_group *g, int h, int w, int *el) {
  int n = 0, order = symclone_group_order(g);
  switch (symclone_group_kind_of(g)) {
    case SYMCLONE_GROUP_T2: {
      const int shifts[4][2] = {{0, 0}, {h / 4, 0}, {0, w / 4}, {h / 4, w / 4}};
      for (int i = 0; i < 4; i++) {
        int e;
        if (symclone_group_t2_element(g, shifts[i][0], shifts[i][1], &e)) continue;
        int dup = 0;
        for (int j = 0; j < n; j++) dup |= el[j] == e;
        if (!dup) el[n++] = e;
      }
      break;
    }
    case SYMCLONE_GROUP_CYCLIC:
      for (int i = 0; i < order && i < 4; i++) el[n++] = i;
      break;
    case SYMCLONE_GROUP_DIHEDRAL: {
      int r = order / 2; /* the rotations; element m*r + q */
      el[n++] = 0;
      if (r > 1) el[n++] = 1;
      el[n++] = r;
      if (r > 1) el[n++] = r + 1;
      break;
    }
  }
  return n;
}

/* The maximum over the orientations of a field [o][hw]. */
static void orientation_max(const float *y, int o, size_t hw, float *map) {
  for (size_t t = 0; t < hw; t++) {
    float m = y[t];
    for (int r = 1; r < o; r++)
      if (y[(size_t)r * hw + t] > m) m = y[(size_t)r * hw + t];
    map[t] = m;
  }
}

static int write_picture(symclone_picture *pic, const char *path, const float *const *panels) {
  symclone_status st = symclone_picture_write(pic, path, panels);
  if (st)
    return tool_fail("%s (%s)", symclone_picture_last_error(pic), symclone_strerror(st));
  return 0;
}

int cmd_picture(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("picture");
  tool_common c = {0, 0};
  const char *prefix = NULL, *mnist = NULL;
  int format = symclone_picture_png_available() ? 0 : 1;
  long long seed = 1;
  const tool_opt opts[] = {
      {"--output", "-o", OPT_TEXT, &prefix, "PREFIX", 0, 0, 0, 0, NULL,
       "the pictures are PREFIX-matrix.EXT and PREFIX-features.EXT\n"
       "(default: FILE without its suffix)"},
      {"--format", NULL, OPT_CHOICE, &format, NULL, 0, 0, 0, 0, "png|pgm",
       "png (colour; default when the library has libpng) or pgm (grey)"},
      {"--mnist", NULL, OPT_DIR, &mnist, "DIR", 0, 0, 0, 0, NULL,
       "the feature maps of the first 7 of the digits of\n"
       "scripts/fetch-mnist in DIR (default: a synthetic 7)"},
      {"--seed", NULL, OPT_INT, &seed, "S", 0, 9007199254740992.0, 0, 0, NULL,
       "seed of the teacher kernel theta drawn for the pictures (default 1)"},
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "what was written as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;
  if (format == 0 && !symclone_picture_png_available())
    return tool_usage_error("--format png: this build of the library has no libpng; use pgm");
  const char *ext = format == 0 ? "png" : "pgm";
  char base[4096], matrix_path[4200], features_path[4200];
  if (!prefix) {
    snprintf(base, sizeof base, "%s", path);
    char *slash = strrchr(base, '/'), *dot = strrchr(base, '.');
    if (dot && (!slash || dot > slash + 1)) *dot = '\0';
    prefix = base;
  }
  snprintf(matrix_path, sizeof matrix_path, "%s-matrix.%s", prefix, ext);
  snprintf(features_path, sizeof features_path, "%s-features.%s", prefix, ext);

  symclone_student *s = NULL;
  symclone_layer *teacher = NULL, *lift = NULL;
  symclone_group *g = NULL;
  symclone_picture *pic = NULL;
  float *theta = NULL, *m = NULL, *k = NULL, *digit = NULL, *plane = NULL, *base_field = NULL;
  float *x = NULL, *y = NULL, *maps = NULL, *lift_theta = NULL;
  file_kind fk;
  float digit28[DIGIT * DIGIT];
  if (mnist) {
    if (mnist_digit(mnist, digit28)) return TOOL_FAIL;
  } else {
    synthetic_digit(digit28);
  }
  if (tool_load(path, &s, &fk)) return TOOL_FAIL;
  rc = TOOL_FAIL;
  symclone_status st;
  if (tool_student_group(s, &g)) goto done;
  if ((st = symclone_student_teacher(s, &teacher))) {
    rc = tool_fail("cannot make the teacher: %s", symclone_strerror(st));
    goto done;
  }
  int in[4], out[4];
  symclone_student_input_shape(s, in);
  symclone_student_output_shape(s, out);
  size_t P = symclone_student_theta_size(s);
  size_t in_size = symclone_student_input_size(s), out_size = symclone_student_output_size(s);
  size_t hw = (size_t)in[2] * in[3], ohw = (size_t)out[2] * out[3];
  theta = malloc(P * sizeof *theta);
  m = malloc(in_size * out_size * sizeof *m);
  k = malloc(in_size * out_size * sizeof *k);
  if (!theta || !m || !k) {
    rc = tool_fail("out of memory for two %zux%zu matrices", out_size, in_size);
    goto done;
  }
  tool_normal((uint64_t)seed, theta, P);

  /* the matrix picture */
  if ((st = symclone_student_effective_matrix(s, theta, m))) {
    rc = tool_fail("%s (%s)", symclone_student_last_error(s), symclone_strerror(st));
    goto done;
  }
  if ((st = symclone_layer_unroll(teacher, theta, k))) {
    rc = tool_fail("%s (%s)", symclone_layer_last_error(teacher), symclone_strerror(st));
    goto done;
  }
  size_t big = out_size > in_size ? out_size : in_size;
  double down = big > 1024 ? (double)((big + 1023) / 1024) : 1;
  const float *mats[2] = {m, k};
  if ((st = symclone_picture_create(&pic, 1, 2, (int)out_size, (int)in_size)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_FORMAT,
                                 format == 0 ? SYMCLONE_PICTURE_FORMAT_PNG
                                             : SYMCLONE_PICTURE_FORMAT_PGM)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, down)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8))) {
    rc = tool_fail("the matrix picture: %s", symclone_strerror(st));
    goto done;
  }
  if (write_picture(pic, matrix_path, mats)) goto done;
  symclone_picture_free(pic);
  pic = NULL;
  free(m);
  free(k);
  m = k = NULL;

  /* the feature-map picture: rows teacher and student, columns g x */
  int el[4], cols = columns(g, in[2], in[3], el);
  digit = malloc(hw * sizeof *digit);
  plane = malloc(hw * sizeof *plane);
  x = malloc(in_size * sizeof *x);
  y = malloc(out_size * sizeof *y);
  maps = malloc(2 * (size_t)cols * ohw * sizeof *maps);
  if (!digit || !plane || !x || !y || !maps) {
    rc = tool_fail("out of memory");
    goto done;
  }
  resample(digit28, in[2], in[3], digit);
  symclone_student_kind sk = symclone_student_kind_of(s);
  int group_input = in[1] > 1;
  if (group_input) {
    /* a group field: the digit lifted by a lifting teacher of the same
     * group, kernel and size (zero padding keeps the size) */
    int n = symclone_student_orientations(s);
    st = sk == SYMCLONE_STUDENT_DIHEDRAL_GROUP
             ? symclone_layer_create_dihedral_lifting(&lift, n, 1, 1, symclone_student_kernel(s),
                                                      in[2], in[3], SYMCLONE_PADDING_ZERO, 0)
             : symclone_layer_create_lifting(&lift, n, 1, 1, symclone_student_kernel(s), in[2],
                                             in[3], SYMCLONE_PADDING_ZERO, 0);
    size_t lp = symclone_layer_param_count(lift);
    base_field = malloc(in_size * sizeof *base_field);
    lift_theta = malloc((lp ? lp : 1) * sizeof *lift_theta);
    if (!st && (!base_field || !lift_theta)) st = SYMCLONE_ERR_NOMEM;
    if (!st) {
      tool_normal((uint64_t)seed + 1, lift_theta, lp);
      st = symclone_layer_forward(lift, lift_theta, 1, digit, base_field, NULL);
    }
    if (st) {
      rc = tool_fail("cannot lift the input: %s", symclone_strerror(st));
      goto done;
    }
  }
  for (int j = 0; j < cols; j++) {
    if (group_input)
      st = symclone_group_act_group(g, el[j], 1, in[1], in[2], in[3], base_field, x);
    else
      st = symclone_group_act_planar(g, el[j], 1, in[2], in[3], digit, x);
    if (st) {
      rc = tool_fail("%s (%s)", symclone_group_last_error(g), symclone_strerror(st));
      goto done;
    }
    if ((st = symclone_layer_forward(teacher, theta, 1, x, y, NULL))) {
      rc = tool_fail("%s (%s)", symclone_layer_last_error(teacher), symclone_strerror(st));
      goto done;
    }
    orientation_max(y, out[1], ohw, maps + (size_t)j * ohw);
    if ((st = symclone_student_forward(s, theta, 1, x, y))) {
      rc = tool_fail("%s (%s)", symclone_student_last_error(s), symclone_strerror(st));
      goto done;
    }
    orientation_max(y, out[1], ohw, maps + ((size_t)cols + j) * ohw);
  }
  const float *panels[8];
  for (int j = 0; j < 2 * cols; j++) panels[j] = maps + (size_t)j * ohw;
  int up = out[2] <= 64 && out[3] <= 64 ? 4 : 1;
  if ((st = symclone_picture_create(&pic, 2, cols, out[2], out[3])) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_FORMAT,
                                 format == 0 ? SYMCLONE_PICTURE_FORMAT_PNG
                                             : SYMCLONE_PICTURE_FORMAT_PGM)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE,
                                 SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, up)) ||
      (st = symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 4))) {
    rc = tool_fail("the feature-map picture: %s", symclone_strerror(st));
    goto done;
  }
  if (write_picture(pic, features_path, panels)) goto done;

  char elements[64] = "";
  for (int j = 0, at = 0; j < cols; j++)
    at += snprintf(elements + at, sizeof elements - (size_t)at, "%s%d", j ? "," : "", el[j]);
  out_begin(c.json);
  out_str("file", path);
  out_str("format", file_kind_name(fk));
  out_str("matrix_picture", matrix_path);
  out_int("matrix_downscale", (long long)down);
  out_str("features_picture", features_path);
  out_str("features_rows", "teacher,student");
  out_str("features_elements", elements);
  out_str("input", mnist ? "mnist" : "synthetic");
  out_int("seed", seed);
  rc = out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
done:
  symclone_picture_free(pic);
  symclone_layer_free(teacher);
  symclone_layer_free(lift);
  symclone_group_free(g);
  symclone_student_free(s);
  free(theta), free(m), free(k), free(digit), free(plane), free(base_field), free(x), free(y);
  free(maps), free(lift_theta);
  return rc;
}
