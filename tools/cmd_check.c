/* symclone check: how close a saved student is to its teacher family and
 * how equivariant it is under its group. */
#include <math.h>
#include <stdlib.h>

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

int cmd_check(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("check");
  tool_common c = {0, 0};
  long long draws = 8, samples = 8, max_elements = -1, seed = 7;
  double max_toeplitz = -1, max_equiv = -1, max_rel = -1;
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
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "the figures as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;

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
