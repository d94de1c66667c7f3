/* clone_c4: clone the C4 lifting convolution (Z2 -> C4, 3x3 kernel, valid
 * padding, 28x28 inputs) into dense students with 9 and 7 blocks, and show
 * that the clone rotates its feature maps with the input as the teacher
 * does.
 *
 * For each student it prints (name=value lines on stdout):
 *   blocks, objective, steps, lr, seconds, train_rel_loss, rel_loss
 *   toeplitz_rel_dist and toeplitz_rel_dist_rN for each output orientation r
 *   transform_dist   ||T_r - T_0 R_r|| / ||T_0 R_r|| averaged over r = 1..3:
 *                    how close the learned parameter transforms are to the
 *                    filter rotations R_r (up to the common basis T_0, which
 *                    only A T_0 determines)
 *   equiv_err        C4 equivariance error of S(.; theta), all elements
 *   best_rel_loss    the closed-form best relative loss of that many blocks
 *   subspaces        the student's restriction (none, or the subspaces)
 * With --subspaces one more student is trained, its blocks restricted to
 * those invariant subspaces of the 3x3 filter space (--list-subspaces lists
 * them), and a side_by_side table sets the students' relative losses and
 * equivariance errors beside each other: with 7 blocks both reach the best
 * loss 2/9, and only the restricted one is equivariant.
 * and writes two pictures: the Figure-4 style effective matrix beside the
 * unrolled teacher (downscaled by 2), and the Figure-6 style grid of feature
 * maps (rows: teacher, 9-block student, 7-block student, an untrained dense
 * layer; columns: a digit rotated by 0, 90 and 180 degrees; each map is the
 * maximum over the four orientations, which an equivariant layer turns with
 * its input).
 *
 *   clone_c4                      # moment objective, both students
 *   clone_c4 --objective stochastic --steps 6000
 *   clone_c4 --blocks 9 --save c4.scs && clone_c4 --load c4.scs
 *   clone_c4 --list-subspaces
 *   clone_c4 --blocks 7 --subspaces 0,1,2,3,4,5   # all but the corners' rotation part
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "restrict.h"

#define SIZE 28
#define KERNEL 3
#define N 4
#define OUT (SIZE - KERNEL + 1)

/* The maximum over orientations of a lifting output [N][OUT][OUT]. */
static void orientation_max(const float *y, float *map) {
  for (int t = 0; t < OUT * OUT; t++) {
    float m = y[t];
    for (int r = 1; r < N; r++)
      if (y[r * OUT * OUT + t] > m) m = y[r * OUT * OUT + t];
    map[t] = m;
  }
}

/* The digit of the feature-map picture: a "7" (not symmetric) of the MNIST
 * digits in dir, or of the ones ex_find_mnist() finds when dir is NULL;
 * with dir NULL and no digits found, a synthetic off-centre "7" (a top bar
 * and a slanted stroke).  Returns 0, or 1 after a message: the digits
 * asked for are missing, or digits found cannot be loaded or are not
 * SIZE x SIZE. */
static int load_digit(const char *dir, float img[SIZE * SIZE], const char **source) {
  char ip[1024], lp[1024];
  if (!ex_find_mnist(dir, ip, lp, sizeof ip)) {
    if (dir) {
      fprintf(stderr,
              "%s: --mnist %s: no mnist10k-images-idx3-ubyte.gz and "
              "mnist10k-labels-idx1-ubyte.gz there (scripts/fetch-mnist)\n",
              ex_prog(), dir);
      return 1;
    }
    memset(img, 0, SIZE * SIZE * sizeof *img);
    for (int x = 7; x < 21; x++) img[6 * SIZE + x] = img[7 * SIZE + x] = 1.0f;
    for (int y = 8; y < 23; y++) {
      int x = 20 - (y - 8) * 2 / 3;
      img[y * SIZE + x] = img[y * SIZE + x - 1] = 1.0f;
    }
    *source = "synthetic";
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
  *source = "mnist";
  return 0;
}

int main(int argc, char **argv) {
  ex_clone_opts o;
  int rc = ex_clone_parse(argc, argv,
                          "Clone the C4 lifting convolution (3x3, 28x28) into dense students and\n"
                          "draw their feature maps under rotated inputs.",
                          600, 1, &o);
  if (rc >= 0) return rc;
  rc = 1;
  int nst = 0;
  symclone_student *st[5] = {NULL, NULL, NULL, NULL, NULL}, *exact = NULL;
  symclone_layer *teacher = NULL, *dense = NULL;
  symclone_group *c4 = NULL;
  float *m = NULL, *k = NULL, *rt = NULL, *ex = NULL, *digit = NULL, *dparams = NULL;
  float *maps = NULL, *y = NULL, *rot = NULL;
  const char *source = NULL;
  int sub[EX_SUBSPACE_MAX], nsub = 0, sdim = 0;
  ex_side_rows side = {0};
  char errbuf[256] = "", path[512];
  symclone_picture *pic = NULL;
  /* an oriented edge detector as the teacher's kernel for the pictures */
  const float sobel[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};

  EX_CHECK(symclone_group_create_cyclic(&c4, N), NULL);
  if (o.list_subspaces) {
    rc = ex_list_subspaces(c4, KERNEL);
    goto done;
  }
  if (o.subspaces && (nsub = ex_parse_subspaces(o.subspaces, c4, KERNEL, sub, &sdim)) < 0)
    goto done;
  digit = malloc(SIZE * SIZE * sizeof *digit);
  if (!digit || load_digit(o.mnist, digit, &source)) goto done;
  printf("library_version=%s\n", symclone_version_string());
  EX_CHECK(symclone_layer_create_lifting(&teacher, N, 1, 1, KERNEL, SIZE, SIZE,
                                         SYMCLONE_PADDING_VALID, 0),
           NULL);
  /* the exact transforms R_r, for comparing the learned T_r with */
  EX_CHECK(symclone_student_create(&exact, SYMCLONE_STUDENT_LIFTING, N, KERNEL, SIZE, SIZE,
                                   SYMCLONE_PADDING_VALID, KERNEL * KERNEL, 0),
           NULL);
  EX_CHECK(symclone_student_init_exact(exact), symclone_student_last_error(exact));
  size_t nt = symclone_student_param_count(exact, SYMCLONE_STUDENT_PART_TRANSFORMS);
  rt = malloc(nt * sizeof *rt);
  ex = malloc(nt * sizeof *ex);
  if (!rt || !ex) goto done;
  EX_CHECK(symclone_student_get_params(exact, SYMCLONE_STUDENT_PART_TRANSFORMS, ex, nt), NULL);

  int total = o.blocks.n + (nsub > 0 && !o.load);
  for (int i = 0; i < total; i++, nst++) {
    char name[40];
    double seconds = 0.0, train_rel = NAN, best;
    int restricted = i == o.blocks.n;
    if (restricted) {
      EX_CHECK(symclone_student_create(&st[i], SYMCLONE_STUDENT_LIFTING, N, KERNEL, SIZE, SIZE,
                                       SYMCLONE_PADDING_VALID, sdim, (uint64_t)o.seed),
               NULL);
      EX_CHECK(symclone_student_restrict(st[i], c4, sub, nsub), symclone_student_last_error(st[i]));
    } else if (o.load) {
      if (!(st[i] = ex_load_student(o.load, SYMCLONE_STUDENT_LIFTING, N, KERNEL, SIZE))) goto done;
    } else {
      EX_CHECK(
          symclone_student_create(&st[i], SYMCLONE_STUDENT_LIFTING, N, KERNEL, SIZE, SIZE,
                                  SYMCLONE_PADDING_VALID, (int)o.blocks.v[i], (uint64_t)o.seed),
          NULL);
    }
    symclone_student *s = st[i];
    int blocks = symclone_student_blocks(s);
    snprintf(name, sizeof name, "c4-b%d%s", blocks, restricted ? "-restricted" : "");
    if (!o.load) EX_CHECK(ex_train_student(s, &o, name, &seconds, &train_rel), NULL);

    ex_figures f;
    double tdist = 0.0;
    EX_CHECK(ex_measure_student(s, c4, sobel, SYMCLONE_MASK_NONE, 0, &f, errbuf, sizeof errbuf),
             errbuf);
    EX_CHECK(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_TRANSFORMS, rt, nt), NULL);
    /* T_r (9x9) against T_0 R_r */
    const int P = KERNEL * KERNEL;
    for (int r = 1; r < N; r++) {
      double num = 0, den = 0;
      for (int a = 0; a < P; a++)
        for (int b = 0; b < P; b++) {
          double t0r = 0;
          for (int c = 0; c < P; c++)
            t0r += (double)rt[a * P + c] * ex[(size_t)r * P * P + c * P + b];
          double d = rt[(size_t)r * P * P + a * P + b] - t0r;
          num += d * d;
          den += t0r * t0r;
        }
      tdist += sqrt(num / den) / (N - 1);
    }
    ex_print_figures(name, s, &o, seconds, train_rel, &f);
    printf("transform_dist=%.3e\n", tdist);
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
  }

  if (side.n > 1) ex_side_print(&side);

  /* Figure 4 style: effective matrix of the first student | unrolled teacher */
  size_t in = SIZE * SIZE, out = N * OUT * OUT;
  m = malloc(in * out * sizeof *m);
  k = malloc(in * out * sizeof *k);
  if (!m || !k) goto done;
  EX_CHECK(symclone_student_effective_matrix(st[0], sobel, m), symclone_student_last_error(st[0]));
  EX_CHECK(symclone_layer_unroll(teacher, sobel, k), symclone_layer_last_error(teacher));
  const float *mats[2] = {m, k};
  snprintf(path, sizeof path, "%s-matrix.%s", o.picture ? o.picture : "clone_c4", ex_picture_ext());
  EX_CHECK(symclone_picture_create(&pic, 1, 2, (int)out, (int)in), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_DOWNSCALE, 2),
           symclone_picture_last_error(pic));
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 8), symclone_picture_last_error(pic));
  if (!ex_output_free(path)) goto done;
  EX_CHECK(symclone_picture_write(pic, path, mats), symclone_picture_last_error(pic));
  ex_output_written(path);
  symclone_picture_free(pic);
  pic = NULL;
  printf("matrix_picture=%s\n", path);

  /* Figure 6 style: feature maps under rotated inputs */
  dparams = malloc((in * out + out) * sizeof *dparams);
  int rows = 2 + nst; /* teacher, students, dense */
  maps = malloc((size_t)rows * 3 * OUT * OUT * sizeof *maps);
  y = malloc(out * sizeof *y);
  rot = malloc(in * sizeof *rot);
  if (!dparams || !maps || !y || !rot) goto done;
  printf("input=%s\n", source);
  EX_CHECK(symclone_layer_create_dense(&dense, (int)in, (int)out, 1), NULL);
  EX_CHECK(symclone_layer_init_params(dense, 1, dparams), NULL);
  const float *panels[3 * 7];
  for (int q = 0; q < 3; q++) {
    EX_CHECK(symclone_group_act_planar(c4, q, 1, SIZE, SIZE, digit, rot),
             symclone_group_last_error(c4));
    int row = 0;
    EX_CHECK(symclone_layer_forward(teacher, sobel, 1, rot, y, NULL), NULL);
    orientation_max(y, maps + ((size_t)row * 3 + q) * OUT * OUT);
    for (row = 1; row <= nst; row++) {
      EX_CHECK(symclone_student_forward(st[row - 1], sobel, 1, rot, y), NULL);
      orientation_max(y, maps + ((size_t)row * 3 + q) * OUT * OUT);
    }
    EX_CHECK(symclone_layer_forward(dense, dparams, 1, rot, y, NULL), NULL);
    orientation_max(y, maps + ((size_t)row * 3 + q) * OUT * OUT);
  }
  for (int j = 0; j < rows * 3; j++) panels[j] = maps + (size_t)j * OUT * OUT;
  snprintf(path, sizeof path, "%s-features.%s", o.picture ? o.picture : "clone_c4",
           ex_picture_ext());
  EX_CHECK(symclone_picture_create(&pic, rows, 3, OUT, OUT), NULL);
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_SCALE,
                                SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL),
           symclone_picture_last_error(pic));
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_UPSCALE, 4), symclone_picture_last_error(pic));
  EX_CHECK(symclone_picture_set(pic, SYMCLONE_PICTURE_GAP, 4), symclone_picture_last_error(pic));
  if (!ex_output_free(path)) goto done;
  EX_CHECK(symclone_picture_write(pic, path, panels), symclone_picture_last_error(pic));
  ex_output_written(path);
  printf("features_picture=%s\n", path);
  printf("features_rows=teacher");
  for (int i = 0; i < nst; i++) {
    int r = 0;
    symclone_student_restriction(st[i], NULL, NULL, NULL, 0, &r);
    printf(",student-b%d%s", symclone_student_blocks(st[i]), r ? "-restricted" : "");
  }
  printf(",untrained-dense\nfeatures_columns=0deg,90deg,180deg\n");
  rc = 0;
done:
  symclone_picture_free(pic);
  for (int i = 0; i < 5; i++) symclone_student_free(st[i]);
  symclone_student_free(exact);
  symclone_layer_free(teacher);
  symclone_layer_free(dense);
  symclone_group_free(c4);
  free(m), free(k), free(rt), free(ex), free(digit), free(dparams), free(maps), free(y), free(rot);
  return rc;
}
