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
 * convolution (downscaled by 4).
 *
 *   clone_p4p4
 *   clone_p4p4 --blocks 9 --save p4.scs && clone_p4p4 --load p4.scs
 */
#include "clone_util.h"

#define SIZE 28
#define KERNEL 3
#define N 4
#define OUT (SIZE - KERNEL + 1)
#define P (N * KERNEL * KERNEL)

int main(int argc, char **argv) {
  const char *prog = "clone_p4p4";
  clone_options o;
  if (parse_options(argc, argv, &o)) return 2;
  long steps = o.steps > 0 ? o.steps : 600;
  double lr = o.lr > 0 ? o.lr : 1e-2;
  int rc = 1;
  symclone_student *s = NULL;
  symclone_layer *teacher = NULL;
  symclone_group *c4 = NULL;
  float theta[P], *m = NULL, *k = NULL;
  char errbuf[256] = "", path[512];
  symclone_picture *pic = NULL;
  for (int j = 0; j < P; j++) theta[j] = (float)sin(0.9 * j + 0.4);

  printf("library_version=%s\n", symclone_version_string());
  CHECK(symclone_group_create_cyclic(&c4, N), NULL);
  CHECK(symclone_layer_create_group_conv(&teacher, N, 1, 1, KERNEL, SIZE, SIZE, SYMCLONE_PADDING_VALID, 0),
        NULL);
  for (int i = 0; i < o.nblocks; i++) {
    char name[32];
    double seconds = 0.0, train_rel = NAN;
    if (o.load) {
      CHECK(symclone_student_load(&s, o.load, NULL), o.load);
      if (symclone_student_kind_of(s) != SYMCLONE_STUDENT_GROUP ||
          symclone_student_orientations(s) != N || symclone_student_kernel(s) != KERNEL) {
        fprintf(stderr, "%s: %s is not a C4 group-convolution student with 3x3 kernels\n", prog,
                o.load);
        goto done;
      }
    } else {
      CHECK(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, N, KERNEL, SIZE, SIZE,
                                    SYMCLONE_PADDING_VALID, o.blocks[i], o.seed),
            NULL);
    }
    int blocks = symclone_student_blocks(s);
    snprintf(name, sizeof name, "p4p4-b%d", blocks);
    if (!o.load) CHECK(train_student(s, &o, steps, lr, name, &seconds, &train_rel), NULL);

    clone_figures f;
    CHECK(measure_student(s, c4, theta, SYMCLONE_MASK_NONE, 0, &f, errbuf, sizeof errbuf),
          errbuf);
    print_figures(name, s, &o, steps, lr, seconds, train_rel, &f);
    if (o.save) {
      student_path(path, sizeof path, o.save, blocks, o.nblocks > 1);
      CHECK(symclone_student_save(s, path), symclone_student_last_error(s));
      printf("saved=%s\n", path);
    }
    if (i == 0) {
      size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
      m = malloc(in * out * sizeof *m);
      k = malloc(in * out * sizeof *k);
      if (!m || !k) goto done;
      CHECK(symclone_student_effective_matrix(s, theta, m), symclone_student_last_error(s));
      CHECK(symclone_layer_unroll(teacher, theta, k), symclone_layer_last_error(teacher));
      const float *mats[2] = {m, k};
      const char *ext = symclone_picture_png_available() ? "png" : "pgm";
      snprintf(path, sizeof path, "%s-matrix.%s", o.picture ? o.picture : "clone_p4p4", ext);
      CHECK(symclone_picture_create(&pic, 1, 2, (int)out, (int)in), NULL);
      CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, 4), symclone_picture_last_error(pic));
      CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), symclone_picture_last_error(pic));
      CHECK(symclone_picture_write(pic, path, mats), symclone_picture_last_error(pic));
      printf("matrix_picture=%s\n", path);
    }
    symclone_student_free(s);
    s = NULL;
  }
  rc = 0;
done:
  symclone_picture_free(pic);
  free(m), free(k);
  symclone_student_free(s);
  symclone_layer_free(teacher);
  symclone_group_free(c4);
  return rc;
}
