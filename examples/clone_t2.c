/* clone_t2: clone the 3x3 valid convolution on 28x28 fields into dense
 * students, a 9-block one (exact solution exists) and a 7-block one (only
 * an approximation exists), and measure how well each carries the
 * convolution's translation symmetry.
 *
 * For each student it prints, as name=value lines on stdout:
 *   blocks, objective, steps, lr, seconds        how it was trained
 *   train_rel_loss                               the trainer's last relative loss
 *   rel_loss       exact E||S - K||^2 / E||K||^2 over theta ~ N(0,I), x ~ N(0,I)
 *   toeplitz_rel_dist   ||M(theta) - K(theta)||_F / ||K(theta)||_F, 8 draws
 *   equiv_err      T2 equivariance error of S(.; theta) on the interior
 *   best_rel_loss  the closed-form best relative loss of that many blocks
 *   subspaces      the student's restriction (none, or the subspaces)
 * and writes the picture of the learned effective matrix M(theta) beside
 * the unrolled (Toeplitz) convolution K(theta) (PNG if built with libpng).
 *
 *   clone_t2                          # both students, moment objective
 *   clone_t2 --objective stochastic --steps 4000   # the published trainer
 *   clone_t2 --blocks 9 --save t2.scs && clone_t2 --load t2.scs
 *
 * --subspaces trains one more student whose blocks are restricted to those
 * invariant subspaces of the 3x3 filter space under C4 (--list-subspaces
 * lists them): the family of its convolutions then rotates with the
 * kernel, S(R x; R theta) = R S(x; theta) for the quarter turns R.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "restrict.h"

#define SIZE 28
#define KERNEL 3

int main(int argc, char **argv) {
  ex_clone_opts o;
  int rc = ex_clone_parse(argc, argv,
                          "Clone the 3x3 valid convolution on 28x28 fields into dense students.",
                          400, 0, &o);
  if (rc >= 0) return rc;
  rc = 1;
  symclone_student *s = NULL;
  symclone_layer *teacher = NULL;
  symclone_group *t2 = NULL, *c4 = NULL;
  symclone_diag *diag = NULL;
  float *theta = NULL, *m = NULL, *k = NULL;
  char errbuf[256] = "";
  symclone_picture *pic = NULL;
  int sub[EX_SUBSPACE_MAX], nsub = 0, sdim = 0;
  ex_side_rows side = {0};

  EX_CHECK(symclone_group_create_cyclic(&c4, 4), NULL);
  if (o.list_subspaces) {
    rc = ex_list_subspaces(c4, KERNEL);
    goto done;
  }
  if (o.subspaces && (nsub = ex_parse_subspaces(o.subspaces, c4, KERNEL, sub, &sdim)) < 0)
    goto done;
  printf("library_version=%s\n", symclone_version_string());
  EX_CHECK(symclone_group_create_t2(&t2, SIZE, SIZE), NULL);
  int total = o.blocks.n + (nsub > 0 && !o.load);
  for (int i = 0; i < total; i++) {
    char name[40], path[512];
    double seconds = 0.0, train_rel = NAN, best;
    int restricted = i == o.blocks.n;
    if (restricted) {
      EX_CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, KERNEL, SIZE, SIZE,
                                       SYMCLONE_PADDING_VALID, sdim, (uint64_t)o.seed),
               NULL);
      EX_CHECK(symclone_student_restrict(s, c4, sub, nsub), symclone_student_last_error(s));
    } else if (o.load) {
      if (!(s = ex_load_student(o.load, SYMCLONE_STUDENT_PLANAR, 1, KERNEL, SIZE))) goto done;
    } else {
      EX_CHECK(
          symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, KERNEL, SIZE, SIZE,
                                  SYMCLONE_PADDING_VALID, (int)o.blocks.v[i], (uint64_t)o.seed),
          NULL);
    }
    int blocks = symclone_student_blocks(s);
    snprintf(name, sizeof name, "t2-b%d%s", blocks, restricted ? "-restricted" : "");
    if (!o.load) EX_CHECK(ex_train_student(s, &o, name, &seconds, &train_rel), NULL);

    /* figures, at a fixed kernel; T2 shifts on the interior (64 sampled) */
    size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
    theta = malloc(KERNEL * KERNEL * sizeof *theta);
    m = malloc(in * out * sizeof *m);
    k = malloc(in * out * sizeof *k);
    if (!theta || !m || !k) goto done;
    for (int j = 0; j < KERNEL * KERNEL; j++) theta[j] = (float)sin(1.7 * j + 0.3);
    ex_figures f;
    double teacher_eq = NAN, teacher_eq_max;
    EX_CHECK(ex_measure_student(s, t2, theta, SYMCLONE_MASK_SHIFT_INTERIOR, 64, &f, errbuf,
                                sizeof errbuf),
             errbuf);
    EX_CHECK(symclone_student_teacher(s, &teacher), NULL);
    int tin[4], tout[4];
    symclone_layer_input_shape(teacher, tin);
    symclone_layer_output_shape(teacher, tout);
    EX_CHECK(symclone_diag_create(&diag, t2, tin, tout), NULL);
    EX_CHECK(symclone_diag_set(diag, SYMCLONE_DIAG_MAX_ELEMENTS, 64), symclone_diag_last_error(diag));
    EX_CHECK(symclone_diag_layer_equivariance_error(diag, teacher, theta, &teacher_eq,
                                                    &teacher_eq_max),
             symclone_diag_last_error(diag));
    ex_print_figures(name, s, &o, seconds, train_rel, &f);
    printf("teacher_equiv_err=%.3e\n", teacher_eq);
    EX_CHECK(ex_print_best(s, &best), symclone_student_last_error(s));
    ex_side_add(&side, name, s, f.rel, best, f.eq_mean);

    /* the picture: learned effective matrix | unrolled Toeplitz matrix */
    EX_CHECK(symclone_student_effective_matrix(s, theta, m), symclone_student_last_error(s));
    EX_CHECK(symclone_layer_unroll(teacher, theta, k), symclone_layer_last_error(teacher));
    const float *panels[2] = {m, k};
    snprintf(path, sizeof path, "%s-b%d%s.%s", o.picture ? o.picture : "clone_t2", blocks,
             restricted ? "-restricted" : "", ex_picture_ext());
    symclone_picture_free(pic);
    pic = NULL;
    EX_CHECK(symclone_picture_create(&pic, 1, 2, (int)out, (int)in), NULL);
    EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), symclone_picture_last_error(pic));
    if (!ex_output_free(path)) goto done;
    EX_CHECK(symclone_picture_write(pic, path, panels), symclone_picture_last_error(pic));
    ex_output_written(path);
    printf("picture=%s\n", path);

    if (o.save) {
      ex_student_path(path, sizeof path, &o, blocks);
      if (restricted) snprintf(path, sizeof path, "%s.restricted", o.save);
      if (!ex_output_free(path)) goto done;
      EX_CHECK(symclone_student_save(s, path), symclone_student_last_error(s));
      ex_output_written(path);
      printf("saved=%s\n", path);
    }
    free(theta), free(m), free(k);
    theta = m = k = NULL;
    symclone_diag_free(diag);
    diag = NULL;
    symclone_layer_free(teacher);
    teacher = NULL;
    symclone_student_free(s);
    s = NULL;
  }
  if (side.n > 1) ex_side_print(&side);
  rc = 0;
done:
  symclone_picture_free(pic);
  free(theta), free(m), free(k);
  symclone_diag_free(diag);
  symclone_layer_free(teacher);
  symclone_student_free(s);
  symclone_group_free(t2);
  symclone_group_free(c4);
  return rc;
}
