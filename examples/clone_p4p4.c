/* clone_p4p4: clone one C4 group convolution (C4 -> C4, one channel of 4
 * orientations in and out, 3x3 kernel per orientation slice, valid padding,
 * 28x28) into dense students with 9 and 7 blocks.  The student learns one
 * parameter transform T_{r,s} per output orientation r and input
 * orientation s, mapping the whole 4x3x3 group filter to the planar kernel
 * that carries orientation s to orientation r.
 *
 * For each student it prints (name=value lines on stdout): blocks,
 * objective, steps, lr, seconds, train_rel_loss, rel_loss,
 * toeplitz_rel_dist (and per output orientation), equiv_err (C4, all
 * elements, group-field action on input and output), and writes the
 * effective matrix of the first student beside the unrolled group
 * convolution (downscaled by 4).  Each student also prints best_rel_loss,
 * the closed-form best relative loss of its blocks, and subspaces, its
 * restriction; --subspaces trains one more student restricted to those
 * invariant subspaces of the filter space (--list-subspaces lists them)
 * and prints a side_by_side table.
 *
 *   clone_p4p4
 *   clone_p4p4 --blocks 9 --save p4.scs && clone_p4p4 --load p4.scs
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "restrict.h"

#define SIZE 28
#define KERNEL 3
#define N 4
#define OUT (SIZE - KERNEL + 1)
#define P (N * KERNEL * KERNEL)

int main(int argc, char **argv) {
  ex_clone_opts o;
  int rc = ex_clone_parse(
      argc, argv, "Clone one C4 group convolution (3x3 kernels, 28x28) into dense students.", 600,
      0, &o);
  if (rc >= 0) return rc;
  rc = 1;
  symclone_student *s = NULL;
  symclone_layer *teacher = NULL;
  symclone_group *c4 = NULL;
  float theta[P], *m = NULL, *k = NULL;
  char errbuf[256] = "", path[512];
  symclone_picture *pic = NULL;
  int sub[EX_SUBSPACE_MAX], nsub = 0, sdim = 0;
  ex_side_rows side = {0};
  for (int j = 0; j < P; j++) theta[j] = (float)sin(0.9 * j + 0.4);

  EX_CHECK(symclone_group_create_cyclic(&c4, N), NULL);
  if (o.list_subspaces) {
    rc = ex_list_subspaces(c4, KERNEL);
    goto done;
  }
  EX_CHECK(symclone_layer_create_group_conv(&teacher, N, 1, 1, KERNEL, SIZE, SIZE,
                                            SYMCLONE_PADDING_VALID, 0),
           NULL);
  if (o.subspaces && (nsub = ex_parse_subspaces(o.subspaces, c4, KERNEL, sub, &sdim)) < 0)
    goto done;
  printf("library_version=%s\n", symclone_version_string());
  int total = o.blocks.n + (nsub > 0 && !o.load);
  for (int i = 0; i < total; i++) {
    char name[40];
    double seconds = 0.0, train_rel = NAN, best;
    int restricted = i == o.blocks.n;
    if (restricted) {
      EX_CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, N, KERNEL, SIZE, SIZE,
                                       SYMCLONE_PADDING_VALID, sdim, (uint64_t)o.seed),
               NULL);
      EX_CHECK(symclone_student_restrict(s, c4, sub, nsub), symclone_student_last_error(s));
    } else if (o.load) {
      if (!(s = ex_load_student(o.load, SYMCLONE_STUDENT_GROUP, N, KERNEL, SIZE))) goto done;
    } else {
      EX_CHECK(
          symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, N, KERNEL, SIZE, SIZE,
                                  SYMCLONE_PADDING_VALID, (int)o.blocks.v[i], (uint64_t)o.seed),
          NULL);
    }
    int blocks = symclone_student_blocks(s);
    snprintf(name, sizeof name, "p4p4-b%d%s", blocks, restricted ? "-restricted" : "");
    if (!o.load) EX_CHECK(ex_train_student(s, &o, name, &seconds, &train_rel), NULL);

    ex_figures f;
    EX_CHECK(ex_measure_student(s, c4, theta, SYMCLONE_MASK_NONE, 0, &f, errbuf, sizeof errbuf),
             errbuf);
    ex_print_figures(name, s, &o, seconds, train_rel, &f);
    EX_CHECK(ex_print_best(s, &best), symclone_student_last_error(s));
    ex_side_add(&side, name, s, f.rel, best, f.eq_mean);
    if (o.save) {
      ex_student_path(path, sizeof path, &o, blocks);
      if (restricted) snprintf(path, sizeof path, "%s.restricted", o.save);
      if (!ex_output_free(path)) goto done;
      EX_CHECK(symclone_student_save(s, path), symclone_student_last_error(s));
      ex_output_written(path);
      printf("saved=%s\n", path);
    }
    if (i == 0) {
      size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
      m = malloc(in * out * sizeof *m);
      k = malloc(in * out * sizeof *k);
      if (!m || !k) goto done;
      EX_CHECK(symclone_student_effective_matrix(s, theta, m), symclone_student_last_error(s));
      EX_CHECK(symclone_layer_unroll(teacher, theta, k), symclone_layer_last_error(teacher));
      const float *mats[2] = {m, k};
      snprintf(path, sizeof path, "%s-matrix.%s", o.picture ? o.picture : "clone_p4p4",
               ex_picture_ext());
      EX_CHECK(symclone_picture_create(&pic, 1, 2, (int)out, (int)in), NULL);
      EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, 4),
               symclone_picture_last_error(pic));
      EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), symclone_picture_last_error(pic));
      if (!ex_output_free(path)) goto done;
      EX_CHECK(symclone_picture_write(pic, path, mats), symclone_picture_last_error(pic));
      ex_output_written(path);
      printf("matrix_picture=%s\n", path);
    }
    symclone_student_free(s);
    s = NULL;
  }
  if (side.n > 1) ex_side_print(&side);
  rc = 0;
done:
  symclone_picture_free(pic);
  free(m), free(k);
  symclone_student_free(s);
  symclone_layer_free(teacher);
  symclone_group_free(c4);
  return rc;
}
