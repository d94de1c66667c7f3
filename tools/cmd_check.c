/* symclone check: how close a saved student is to its teacher family and
 * how equivariant it is under its group. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The student at one theta, as an operator for the diagnostics. */
typedef struct student_at {
  const symclone_student *s;
  const float *theta;
} student_at;

static symclone_status student_op(void *user, size_t batch, const float *x, float *y) {
  const student_at *a = user;
  return symclone_student_forward(a->s, a->theta, batch, x, y);
}

/* The mask a layer of this padding calls for (symclone_diag.h): exact
 * groups compare every pixel, interpolated rotations the inscribed disc,
 * T2 the interior a shift does not wrap. */
static int set_mask(symclone_diag *d, const symclone_student *s, const symclone_group *g) {
  symclone_mask mask = SYMCLONE_MASK_NONE;
  double margin = 0;
  symclone_padding pad = symclone_student_padding(s);
  if (symclone_group_kind_of(g) == SYMCLONE_GROUP_T2) {
    if (pad != SYMCLONE_PADDING_CIRCULAR) mask = SYMCLONE_MASK_SHIFT_INTERIOR;
    if (pad == SYMCLONE_PADDING_ZERO) margin = symclone_student_kernel(s) / 2;
  } else if (!symclone_group_is_exact(g)) {
    mask = SYMCLONE_MASK_DISC;
  }
  if (symclone_diag_set(d, SYMCLONE_DIAG_MASK, mask) ||
      symclone_diag_set(d, SYMCLONE_DIAG_MARGIN, margin))
    return 1;
  return 0;
}

/* The layer kind of the teacher a student clones. */
static symclone_layer_kind teacher_kind(symclone_student_kind k) {
  switch (k) {
    case SYMCLONE_STUDENT_PLANAR:
      return SYMCLONE_LAYER_CONV2D;
    case SYMCLONE_STUDENT_LIFTING:
      return SYMCLONE_LAYER_LIFTING;
    case SYMCLONE_STUDENT_GROUP:
      return SYMCLONE_LAYER_GROUP_CONV;
    case SYMCLONE_STUDENT_DIHEDRAL_LIFTING:
      return SYMCLONE_LAYER_DIHEDRAL_LIFTING;
    case SYMCLONE_STUDENT_DIHEDRAL_GROUP:
      return SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
  }
  return SYMCLONE_LAYER_CONV2D;
}

/* theta from a kernel bank trained elsewhere: channel pair (o, i) of the
 * bank in path (tensor `weight` of a safetensors or npz file).  0, or 1
 * after a message. */
static int bank_theta(const symclone_student *s, const char *path, const char *weight, int o,
                      int i, float *theta) {
  int in[4];
  symclone_student_input_shape(s, in);
  symclone_loader *loader = NULL;
  symclone_layer *bank = NULL;
  float *params = NULL;
  int rc = TOOL_FAIL;
  symclone_status st = symclone_loader_create(&loader);
  if (!st)
    st = symclone_layer_import(&bank, path, weight, NULL, teacher_kind(symclone_student_kind_of(s)),
                               symclone_student_orientations(s), in[2], in[3],
                               symclone_student_padding(s), loader);
  if (st) {
    const char *m = symclone_loader_last_error(loader);
    rc = tool_fail("--teacher %s: %s (%s)", path, *m ? m : "cannot import the bank",
                   symclone_strerror(st));
    goto done;
  }
  int bin[4], bout[4];
  symclone_layer_input_shape(bank, bin);
  symclone_layer_output_shape(bank, bout);
  if (symclone_layer_kernel(bank) != symclone_student_kernel(s)) {
    rc = tool_fail("--teacher %s: the bank's kernel is %dx%d, the student's %dx%d", path,
                   symclone_layer_kernel(bank), symclone_layer_kernel(bank),
                   symclone_student_kernel(s), symclone_student_kernel(s));
    goto done;
  }
  if (o >= bout[0] || i >= bin[0]) {
    rc = tool_fail("--channel %d,%d: the bank has %d output and %d input channels", o, i,
                   bout[0], bin[0]);
    goto done;
  }
  size_t count = symclone_layer_param_count(bank), P = symclone_student_theta_size(s);
  params = malloc(count * sizeof *params);
  if (!params) {
    rc = tool_fail("out of memory");
    goto done;
  }
  st = symclone_layer_import_params(bank, params, count, path, weight, NULL, loader);
  if (st) {
    rc = tool_fail("--teacher %s: %s (%s)", path, symclone_loader_last_error(loader),
                   symclone_strerror(st));
    goto done;
  }
  memcpy(theta, params + ((size_t)o * (size_t)bin[0] + (size_t)i) * P, P * sizeof *theta);
  rc = 0;
done:
  free(params);
  symclone_layer_free(bank);
  symclone_loader_free(loader);
  return rc;
}

/* "O,I": two whole numbers in [0, 65535]. */
static int parse_channel(const char *text, int *o, int *i) {
  const char *comma = strchr(text, ',');
  int v[2] = {0, 0};
  const char *p[2] = {text, comma ? comma + 1 : ""};
  size_t len[2] = {comma ? (size_t)(comma - text) : 0, comma ? strlen(comma + 1) : 0};
  for (int k = 0; k < 2; k++) {
    if (len[k] == 0 || len[k] > 5) goto bad;
    for (size_t j = 0; j < len[k]; j++) {
      if (p[k][j] < '0' || p[k][j] > '9') goto bad;
      v[k] = v[k] * 10 + (p[k][j] - '0');
    }
  }
  *o = v[0];
  *i = v[1];
  return 0;
bad:
  return tool_usage_error("--channel: '%s' is not O,I (output and input channel)", text);
}

int cmd_check(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("check");
  tool_common c = {0, 0};
  long long draws = TOOL_DIST_DRAWS, samples = 8, max_elements = -1, seed = TOOL_DIST_SEED;
  double max_toeplitz = -1, max_equiv = -1, max_rel = -1;
  const char *teacher_path = NULL, *weight = NULL, *channel_s = NULL;
  int ch_out = 0, ch_in = 0;
  const tool_opt opts[] = {
      {"--draws", NULL, OPT_INT, &draws, "N", 1, 1e6, 0, 0, NULL,
       "teacher kernels theta ~ N(0, I) the Toeplitz distance averages\n"
       "(default 8)"},
      {"--samples", NULL, OPT_INT, &samples, "N", 0, 0, 0, SYMCLONE_DIAG_SAMPLES, NULL,
       "Gaussian input fields of the equivariance error (default 8)"},
      {"--max-elements", NULL, OPT_INT, &max_elements, "N", 0, 0, 0, SYMCLONE_DIAG_MAX_ELEMENTS,
       NULL,
       "group elements of the equivariance error, 0 = all but the\n"
       "identity (default: all for Cn and Dn, 32 for T2)"},
      {"--seed", NULL, OPT_INT, &seed, "S", 0, 0, 0, SYMCLONE_DIAG_SEED, NULL,
       "seed of the kernel, the elements and the inputs (default 7)"},
      {"--max-toeplitz", NULL, OPT_REAL, &max_toeplitz, "X", 0, 1e30, 0, 0, NULL,
       "exit with status 1 when the Toeplitz distance is above X"},
      {"--max-equivariance", NULL, OPT_REAL, &max_equiv, "X", 0, 1e30, 0, 0, NULL,
       "exit with status 1 when the equivariance error is above X"},
      {"--max-rel-loss", NULL, OPT_REAL, &max_rel, "X", 0, 1e30, 0, 0, NULL,
       "exit with status 1 when the relative loss is above X"},
      {"--teacher", NULL, OPT_TEXT, &teacher_path, "BANK", 0, 0, 0, 0, NULL,
       "measure at a kernel trained elsewhere: a kernel bank (.npy, or a\n"
       "tensor of a safetensors or npz file, --weight) of the student's\n"
       "teacher kind, instead of a random kernel"},
      {"--weight", NULL, OPT_TEXT, &weight, "NAME", 0, 0, 0, 0, NULL,
       "the bank's tensor in a safetensors or npz file (default: its only\n"
       "tensor)"},
      {"--channel", NULL, OPT_TEXT, &channel_s, "O,I", 0, 0, 0, 0, NULL,
       "the bank's output and input channel whose kernel is taken\n"
       "(default 0,0)"},
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "the figures as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;
  if ((weight || channel_s) && !teacher_path)
    return tool_usage_error("%s goes with --teacher", weight ? "--weight" : "--channel");
  if (channel_s && parse_channel(channel_s, &ch_out, &ch_in)) return TOOL_USAGE;

  symclone_student *s = NULL;
  symclone_group *g = NULL;
  symclone_diag *d = NULL;
  symclone_layer *teacher = NULL;
  float *theta = NULL;
  double *per = NULL;
  file_kind fk;
  if (tool_load(path, &s, &fk)) return TOOL_FAIL;
  rc = TOOL_FAIL;
  if (tool_student_group(s, &g)) goto done;
  int in[4], out[4];
  symclone_student_input_shape(s, in);
  symclone_student_output_shape(s, out);
  size_t P = symclone_student_theta_size(s);
  theta = malloc(P * sizeof *theta);
  per = malloc((size_t)out[1] * sizeof *per);
  if (!theta || !per) {
    rc = tool_fail("out of memory");
    goto done;
  }
  tool_normal((uint64_t)seed, theta, P);
  if (teacher_path && bank_theta(s, teacher_path, weight, ch_out, ch_in, theta)) goto done;
  double rel = NAN, dist = NAN, eq = NAN, eq_max = NAN, t_eq = NAN, t_eq_max = NAN;
  symclone_status st = symclone_student_relative_loss(s, &rel);
  if (!st) st = symclone_student_toeplitz_distance(s, (int)draws, (uint64_t)seed, &dist, per);
  if (!st) st = symclone_student_teacher(s, &teacher);
  double best = NAN;
  if (!st && symclone_student_best_loss(s, &best) != SYMCLONE_OK) best = NAN;
  if (st) {
    rc = tool_fail("%s: cannot measure the student: %s (%s)", path,
                   symclone_student_last_error(s), symclone_strerror(st));
    goto done;
  }
  if (max_elements < 0)
    max_elements = symclone_group_kind_of(g) == SYMCLONE_GROUP_T2 ? 32 : 0;
  if ((st = symclone_diag_create(&d, g, in, out))) {
    rc = tool_fail("%s: cannot measure the equivariance: %s", path, symclone_strerror(st));
    goto done;
  }
  student_at op = {s, theta};
  if (set_mask(d, s, g) ||
      (st = symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, (double)samples)) ||
      (st = symclone_diag_set(d, SYMCLONE_DIAG_MAX_ELEMENTS, (double)max_elements)) ||
      (st = symclone_diag_set(d, SYMCLONE_DIAG_SEED, (double)seed)) ||
      (st = symclone_diag_equivariance_error(d, student_op, &op, &eq, &eq_max)) ||
      (st = symclone_diag_layer_equivariance_error(d, teacher, theta, &t_eq, &t_eq_max))) {
    rc = tool_fail("%s: the equivariance error: %s (%s)", path, symclone_diag_last_error(d),
                   symclone_strerror(st ? st : SYMCLONE_ERR_SETTING));
    goto done;
  }
  double at_theta = NAN;
  {
    size_t msize = symclone_student_output_size(s) * symclone_student_input_size(s);
    float *m = malloc(msize * sizeof *m), *k = malloc(msize * sizeof *k);
    if (!m || !k) st = SYMCLONE_ERR_NOMEM;
    if (!st) st = symclone_student_effective_matrix(s, theta, m);
    if (!st) st = symclone_layer_unroll(teacher, theta, k);
    if (!st) st = symclone_diag_relative_distance(m, k, msize, &at_theta);
    free(m);
    free(k);
    if (st) {
      rc = tool_fail("%s: the distance at the kernel: %s", path, symclone_strerror(st));
      goto done;
    }
  }
  char group[32];
  double mask = 0;
  symclone_diag_get(d, SYMCLONE_DIAG_MASK, &mask);
  tool_group_name(s, group, sizeof group);
  out_begin(c.json);
  out_str("file", path);
  out_str("format", file_kind_name(fk));
  out_str("kind", tool_kind_name(symclone_student_kind_of(s)));
  out_str("group", group);
  out_int("blocks", symclone_student_blocks(s));
  tool_out_restriction(s);
  out_num("rel_loss", rel);
  out_num("best_loss", best);
  out_num("toeplitz_rel_dist", dist);
  if (out[1] > 1) out_nums("toeplitz_rel_dist_per_orientation", "toeplitz_rel_dist", per, out[1]);
  out_str("kernel_theta", teacher_path ? "teacher" : "random");
  out_num("rel_dist_at_kernel", at_theta);
  out_num("equiv_err", eq);
  out_num("equiv_err_max", eq_max);
  out_num("teacher_equiv_err", t_eq);
  out_str("mask", mask == SYMCLONE_MASK_NONE             ? "none"
                  : mask == SYMCLONE_MASK_SHIFT_INTERIOR ? "shift_interior"
                                                         : "disc");
  out_int("draws", draws);
  out_int("samples", samples);
  out_int("max_elements", max_elements);
  out_int("seed", seed);
  if (out_end()) {
    rc = tool_fail("writing to stdout failed");
    goto done;
  }
  rc = TOOL_OK;
  if (max_toeplitz >= 0 && !(dist <= max_toeplitz))
    rc = tool_fail("%s: toeplitz_rel_dist %.3e is above --max-toeplitz %g", path, dist,
                   max_toeplitz);
  if (max_equiv >= 0 && !(eq <= max_equiv))
    rc = tool_fail("%s: equiv_err %.3e is above --max-equivariance %g", path, eq, max_equiv);
  if (max_rel >= 0 && !(rel <= max_rel))
    rc = tool_fail("%s: rel_loss %.3e is above --max-rel-loss %g", path, rel, max_rel);
done:
  symclone_layer_free(teacher);
  symclone_diag_free(d);
  symclone_group_free(g);
  symclone_student_free(s);
  free(theta);
  free(per);
  return rc;
}
