/* clone_p4m: clone the p4m lifting convolution (Z2 -> D4, GrouPy's
 * P4MConvZ2: one channel, 3x3 kernel, valid padding, 28x28 inputs, eight
 * output orientations: the four quarter turns of the filter, then the four
 * of its mirror image) into dense students with 9 and 7 blocks.  The
 * student learns one parameter transform T_g per element g of D4, mapping
 * the 3x3 filter to the planar kernel of orientation g.
 *
 * For each student it prints (name=value lines on stdout): blocks,
 * objective, steps, lr, seconds, train_rel_loss, rel_loss,
 * toeplitz_rel_dist (and toeplitz_rel_dist_rN for each of the 8 output
 * orientations), equiv_err (D4, all eight elements, the planar action on
 * the input and the group-field action on the output), and writes the
 * effective matrix of the first student beside the unrolled teacher
 * (downscaled by 4).
 * Each student also prints best_rel_loss, the closed-form best relative
 * loss of its blocks, and subspaces, its restriction; --subspaces trains
 * one more student restricted to those invariant subspaces of the filter
 * space (--list-subspaces lists them) and prints a side_by_side table.
 *
 *   clone_p4m --blocks 7 --subspaces 0,1,2,3,4,5   # all but the corners' E part
 *
 *   clone_p4m
 *   clone_p4m --blocks 9 --save p4m.scs && clone_p4m --load p4m.scs
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "restrict.h"

#define SIZE 28
#define KERNEL 3
#define N 4 /* D4: 4 rotations, 8 orientations */
#define P (KERNEL * KERNEL)

int main(int argc, char **argv) {
  ex_clone_opts o;
  int rc = ex_clone_parse(
      argc, argv,
      "Clone the p4m lifting convolution (Z2 -> D4, 3x3 kernel, 28x28) into dense students.",
      600, 0, &o);
  if (rc >= 0) return rc;
  rc = 1;
  symclone_student *s = NULL;
  symclone_layer *teacher = NULL;
  symclone_group *d4 = NULL;
  float theta[P], *m = NULL, *k = NULL;
  char errbuf[256] = "", path[512];
  symclone_picture *pic = NULL;
  int sub[EX_SUBSPACE_MAX], nsub = 0, sdim = 0;
  ex_side_rows side = {0};
  for (int j = 0; j < P; j++) theta[j] = (float)sin(0.9 * j + 0.4);

  EX_CHECK(symclone_group_create_dihedral(&d4, N), NULL);
  if (o.list_subspaces) {
    rc = ex_list_subspaces(d4, KERNEL);
    goto done;
  }
  EX_CHECK(symclone_layer_create_dihedral_lifting(&teacher, N, 1, 1, KERNEL, SIZE, SIZE,
                                                  SYMCLONE_PADDING_VALID, 0),
           NULL);
  if (o.subspaces && (nsub = ex_parse_subspaces(o.subspaces, d4, KERNEL, sub, &sdim)) < 0)
    goto done;
  printf("library_version=%s\n", symclone_version_string());
  int total = o.blocks.n + (nsub > 0 && !o.load);
  for (int i = 0; i < total; i++) {
    char name[40];
    double seconds = 0.0, train_rel = NAN, best;
    int restricted = i == o.blocks.n;
    if (restricted) {
      EX_CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_DIHEDRAL_LIFTING, N, KERNEL, SIZE,
                                       SIZE, SYMCLONE_PADDING_VALID, sdim, (uint64_t)o.seed),
               NULL);
      EX_CHECK(symclone_student_restrict(s, d4, sub, nsub), symclone_student_last_error(s));
    } else if (o.load) {
      EX_CHECK(symclone_student_load(&s, o.load, NULL), o.load);
      int shape[4];
      symclone_student_input_shape(s, shape);
      if (symclone_student_kind_of(s) != SYMCLONE_STUDENT_DIHEDRAL_LIFTING ||
          symclone_student_orientations(s) != N || symclone_student_kernel(s) != KERNEL ||
          shape[2] != SIZE || shape[3] != SIZE ||
          symclone_student_padding(s) != SYMCLONE_PADDING_VALID) {
        fprintf(stderr,
                "%s: %s is not a student of the p4m lifting convolution (D4, 3x3, 28x28, "
                "valid padding)\n",
                ex_prog(), o.load);
        goto done;
      }
    } else {
      EX_CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_DIHEDRAL_LIFTING, N, KERNEL, SIZE,
                                       SIZE, SYMCLONE_PADDING_VALID, (int)o.blocks.v[i],
                                       (uint64_t)o.seed),
               NULL);
    }
    int blocks = symclone_student_blocks(s);
    snprintf(name, sizeof name, "p4m-b%d%s", blocks, restricted ? "-restricted" : "");
    if (!o.load) EX_CHECK(ex_train_student(s, &o, name, &seconds, &train_rel), NULL);

    ex_figures f;
    EX_CHECK(ex_measure_student(s, d4, theta, SYMCLONE_MASK_NONE, 0, &f, errbuf, sizeof errbuf),
             errbuf);
    ex_print_figures(name, s, &o, seconds, train_rel, &f);
    EX_CHECK(ex_print_best(s, &best), symclone_student_last_error(s));
    ex_side_add(&side, name, s, f.rel, best, f.eq_mean);
    if (o.save) {
      ex_student_path(path, sizeof path, &o, blocks);
      if (restricted) snprintf(path, sizeof path, "%s.restricted", o.save);
      EX_CHECK(symclone_student_save(s, path), symclone_student_last_error(s));
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
      snprintf(path, sizeof path, "%s-matrix.%s", o.picture ? o.picture : "clone_p4m",
               ex_picture_ext());
      EX_CHECK(symclone_picture_create(&pic, 1, 2, (int)out, (int)in), NULL);
      EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, 4),
               symclone_picture_last_error(pic));
      EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), symclone_picture_last_error(pic));
      EX_CHECK(symclone_picture_write(pic, path, mats), symclone_picture_last_error(pic));
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
  symclone_group_free(d4);
  return rc;
}
