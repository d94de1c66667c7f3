/* Code shared by the example programs (examples/common.c, built once): one
 * strict command-line parser, the search for the MNIST digits, and the
 * plumbing of the cloning examples and of the downstream experiments.  Each
 * program stays readable top to bottom; the library holds the computations,
 * this file only what the programs would otherwise each write out. */
#ifndef SYMCLONE_EXAMPLES_COMMON_H
#define SYMCLONE_EXAMPLES_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include <symclone/symclone.h>

/* ---- the command line ---------------------------------------------------- */

/* Kinds of option and what `value` points to. */
typedef enum ex_opt_kind {
  EX_OPT_FLAG,     /* no value; int, set to 1 */
  EX_OPT_INT,      /* a whole decimal number in [min, max]; long long */
  EX_OPT_REAL,     /* a finite number in [min, max], (min, max] with min_open; double */
  EX_OPT_TEXT,     /* a non-empty string; const char * */
  EX_OPT_DIR,      /* an existing directory; const char * */
  EX_OPT_CHOICE,   /* one of the '|'-separated `choices`; int, its index */
  EX_OPT_INT_LIST  /* 1 to EX_LIST_MAX comma-separated whole numbers in [min, max]; ex_int_list */
} ex_opt_kind;

#define EX_LIST_MAX 4

typedef struct ex_int_list {
  long long v[EX_LIST_MAX];
  int n;
} ex_int_list;

typedef struct ex_option {
  const char *name;    /* "--steps" */
  ex_opt_kind kind;
  void *value;         /* written only when the option is given (the default stays) */
  const char *arg;     /* the value's name in the usage ("N"); NULL for a flag */
  double min, max;     /* INT, REAL, INT_LIST */
  int min_open;        /* REAL: min itself is refused */
  const char *choices; /* CHOICE: "moment|unit|stochastic" */
  const char *help;    /* one or more lines ('\n' between them) */
} ex_option;

/* Parse argv[1..argc) against opts[0..n): every argument must be one of
 * the options, with its value as the next argument; a number must be the
 * whole argument and inside its range.  `about` is printed under the usage
 * line.  Returns -1 when the program should go on, otherwise the status to
 * exit with: 0 after --help or -h (usage on stdout), 2 after a bad command
 * line (a message naming the option, then the usage, on stderr). */
int ex_parse(int argc, char **argv, const char *about, const ex_option *opts, int n);

/* The program's name (argv[0] without its directory) for messages, as set
 * by the last ex_parse(); "example" before. */
const char *ex_prog(void);

/* Seconds of a monotonic clock. */
double ex_now(void);

/* The processors online (1 to 256). */
int ex_online_cpus(void);

/* ---- data ------------------------------------------------------------------ */

/* The 10,000 MNIST digits of scripts/fetch-mnist.  With dir given, they are
 * looked for there only; otherwise in $SYMCLONE_DATA_DIR, data/mnist,
 * ../data/mnist and the source tree's data/mnist, in this order.  Writes
 * both paths (len bytes each) and returns 1 when the two files are found,
 * 0 otherwise. */
int ex_find_mnist(const char *dir, char *images, char *labels, size_t len);

/* Load an IDX pair of 10-class images; NULL after a message on stderr. */
symclone_dataset *ex_load_pair(const char *images, const char *labels);

/* Returns 1 when ds holds rows x cols images, else 0 after a message
 * naming `what` (a path or a set) and both geometries. */
int ex_check_geometry(const symclone_dataset *ds, const char *what, int rows, int cols);

/* ---- the cloning examples (clone_t2, clone_c4, clone_p4p4) ------------------ */

typedef struct ex_clone_opts {
  symclone_objective objective;
  long long steps;          /* updates per student */
  double lr;                /* learning rate */
  long long kernels, inputs; /* per step, stochastic objective */
  long long seed;
  ex_int_list blocks;       /* one student per entry */
  const char *save, *load, *picture, *mnist;
  int quiet;
  long long threads;        /* SYMCLONE_TRAINER_THREADS */
  const char *subspaces;    /* one more student, restricted to these (restrict.h) */
  int list_subspaces;
} ex_clone_opts;

/* The cloning examples' options (ex_parse's return values); --mnist DIR is
 * taken only when with_mnist is non-zero.  Defaults: the moment objective,
 * default_steps, learning rate 1e-2, 16 kernels and 64 inputs a step, seed
 * 0, blocks 9,7 (one student, the loaded one, with --load), every processor
 * online. */
int ex_clone_parse(int argc, char **argv, const char *about, long long default_steps,
                   int with_mnist, ex_clone_opts *o);

/* Stop at the first failing call: print the call, its status and `detail`
 * (may be NULL), then jump to the function's `done` label. */
#define EX_CHECK(call, detail)                                                                     \
  do {                                                                                             \
    symclone_status st_ = (call);                                                                  \
    if (st_ != SYMCLONE_OK) {                                                                      \
      const char *d_ = (detail);                                                                   \
      fprintf(stderr, "%s: %s failed: %s%s%s\n", ex_prog(), #call, symclone_strerror(st_),         \
              d_ && *d_ ? ": " : "", d_ ? d_ : "");                                                 \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* Train a student with the examples' schedule: the learning rate held for
 * the first 70 % of the steps (long enough to leave the plateau a lifting
 * student sits on before it finds the rotations), then a cosine decay to
 * zero, which takes the sampling objectives below their noise floor.
 * Progress goes to stderr unless o->quiet. */
symclone_status ex_train_student(symclone_student *s, const ex_clone_opts *o, const char *name,
                                 double *seconds, double *train_rel);

/* The figures every cloning example prints for a student. */
typedef struct ex_figures {
  double rel, dist, per[16], eq_mean, eq_max;
  int orientations;
} ex_figures;

/* Measure a student: the exact relative loss, the Toeplitz distance (8
 * draws, overall and per output orientation) and its equivariance error
 * under `group` at the fixed kernel theta (8 Gaussian inputs, the given
 * mask, every group element or a sample of max_elements). */
symclone_status ex_measure_student(const symclone_student *s, const symclone_group *group,
                                   const float *theta, symclone_mask mask, int max_elements,
                                   ex_figures *f, char *errbuf, size_t errlen);

void ex_print_figures(const char *name, const symclone_student *s, const ex_clone_opts *o,
                      double seconds, double train_rel, const ex_figures *f);

/* Where student `blocks` of several is saved: FILE, or FILE.bB. */
void ex_student_path(char *buf, size_t len, const ex_clone_opts *o, int blocks);

/* Outputs of one run: ex_output_free(path) returns 1 unless path names a
 * file (through any link) that ex_output_written() recorded earlier in this
 * run, in which case it prints that the new output would replace it and
 * returns 0: a student saved under a picture's name (or the reverse) is
 * refused instead of replacing it. */
int ex_output_free(const char *path);
void ex_output_written(const char *path);

/* Load the student saved at path for a program that clones one geometry:
 * it must be of `kind`, with `orientations` (not checked for planar
 * students), a kernel x kernel kernel, size x size inputs and valid
 * padding.  NULL after a message on stderr naming the file and what is
 * wrong (the loader's message, or both geometries). */
symclone_student *ex_load_student(const char *path, symclone_student_kind kind, int orientations,
                                  int kernel, int size);

/* The extension of the pictures: "png" with libpng, "pgm" without. */
const char *ex_picture_ext(void);

/* ---- the downstream experiments --------------------------------------------- */

typedef struct ex_xp_opts {
  int quick, fashion;
  const char *images, *labels;           /* MNIST-format training (or only) files */
  const char *test_images, *test_labels; /* a separate test pair */
  long long train_count, epochs;         /* after ex_xp_parse: the mode's default where not
                                            given (train_count 0: every image) */
  double beta;                           /* break penalty */
  long long seed;
  long long clone_steps;                 /* --clone-steps (EX_XP_CLONE_STEPS); 0: the
                                            program's own */
  int models;                            /* --models (EX_XP_MODELS): bit k for model k of
                                            gcnn, retain, break, cnn, mlp; 0: all */
} ex_xp_opts;

int ex_xp_parse(int argc, char **argv, const char *about, ex_xp_opts *o);

/* Options some experiments add to those of ex_xp_parse (a bit set). */
#define EX_XP_CLONE_STEPS 1 /* --clone-steps N: updates of every student */
#define EX_XP_MODELS 2      /* --models M[,M...]: only these of gcnn, retain, break, cnn,
                               mlp (the five models of the rotation and reflection
                               experiments, in this order) */

/* 1 when model k (0 gcnn, 1 the retained clone, 2 the broken clone, 3 cnn,
 * 4 mlp) is among the parsed --models, else 0. */
int ex_xp_wants(const ex_xp_opts *o, int k);

/* ex_xp_parse with the options of `extras` as well. */
int ex_xp_parse_ext(int argc, char **argv, const char *about, int extras, ex_xp_opts *o);

/* The training and test sets, 28x28 images.  MNIST digits: the
 * 10,000-digit set with the documented split (2,000 test images, seed 0)
 * unless a test pair is given; Fashion-MNIST: its own training and test
 * files (the first 2,000 test images).  o->train_count > 0 takes the first
 * that many training images and needs that many.  Returns 0, or 1 after a
 * message (files missing or unreadable, images not 28x28, too few). */
int ex_xp_load(const ex_xp_opts *o, symclone_dataset **train, symclone_dataset **test);

/* Replace *ds by its 2x2 mean pooling; 0, or 1 after a message. */
int ex_xp_downsample(symclone_dataset **ds);

/* Clone one teacher family (n = 4 for the lifting and group kinds: C4, or
 * D4 for the dihedral ones) with the second-moment objective and print its Toeplitz distance; NULL
 * after a message. */
symclone_student *ex_xp_clone(const char *name, symclone_student_kind kind, int k, int hw,
                              symclone_padding pad, long long steps);

/* Train on `train` (mini-batches of 32) after checking that its images are
 * the network's input; the seconds spent, or -1 after a message. */
double ex_xp_train(symclone_net *net, const char *name, const symclone_dataset *train,
                   long long epochs, double lr, long long seed);

/* The accuracy on ds, or -1 after a message. */
double ex_xp_accuracy(symclone_net *net, const symclone_dataset *ds);

/* In a function that builds `net` and returns it: stop at the first
 * failing call, print it with the network's message, free the network and
 * return NULL. */
#define EX_NET_TRY(call)                                                                           \
  do {                                                                                             \
    if ((call) != SYMCLONE_OK) {                                                                   \
      fprintf(stderr, "%s: %s failed: %s\n", ex_prog(), #call, symclone_net_last_error(net));      \
      symclone_net_free(net);                                                                      \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* The models of the rotation and reflection experiments.
 * G-CNN: lifting (k x k, valid or zero padding) - ReLU - [2x2 max-pool at
 *        full resolution] - group conv 3x3 (zero padding) - ReLU - max-pool
 *        - group conv - ReLU - group conv - ReLU - max over orientations
 *        - global average over space - dense - ReLU - dense.
 * Exactly C4-invariant on even square inputs (D4-invariant with the
 * dihedral layers).  The cloned G-CNN replaces every convolution by a
 * cloned layer of the student of its resolution; the CNN has planar
 * convolutions with twice the channels (about the same parameter count;
 * cnn_channels otherwise); the MLP two hidden layers. */
typedef struct ex_rot_geom {
  int hw, lift_k;
  symclone_padding lift_pad;
  int pool_first, channels, hidden, classes;
  int dihedral;     /* 1: the p4m G-CNN (D4 lifting and group convolutions, D4
                       students, max over the 8 orientations); 0: C4 */
  int cnn_channels; /* channels of the CNN; 0: twice `channels` */
} ex_rot_geom;

/* The rotation experiments' geometry for the parsed options (--quick:
 * 14x14 digits, valid padding, no first pooling, 6 channels). */
ex_rot_geom ex_rot_geom_for(const ex_xp_opts *o, int classes);

/* The reflection experiments' geometry: that of the rotation experiments
 * with the p4m G-CNN, 4 channels (quick) or 6 (default) in place of 6 or 8
 * (a D4 group convolution has 8 filter slices per channel pair where a C4
 * one has 4), and the rotation experiments' CNN (12 or 16 channels). */
ex_rot_geom ex_refl_geom_for(const ex_xp_opts *o, int classes);

/* The reflection experiments' transforms of the digits, through the D4
 * action of group.h: the mirror M reverses the columns (numpy's fliplr;
 * docs/conventions.md).  Labels are kept unless said otherwise.
 *   ex_xp_mirror:     every image mirrored;
 *   ex_xp_d4_random:  image i transformed by element g_i of D4 drawn
 *                     uniformly in 0..7 (rotations and reflections);
 *   ex_xp_mirror_task: image i mirrored with probability 1/2, and then
 *                     labelled label + C (C the input's classes; the result
 *                     has 2C).
 * The draws come from a generator seeded with seed, image by image in
 * order.  Each returns 0, or 1 after a message. */
int ex_xp_mirror(const symclone_dataset *ds, symclone_dataset **out);
int ex_xp_d4_random(const symclone_dataset *ds, unsigned long long seed, symclone_dataset **out);
int ex_xp_mirror_task(const symclone_dataset *ds, unsigned long long seed,
                      symclone_dataset **out);

/* How far the network's logits move between two datasets of the same count
 * (the same images transformed): ||f(a) - f(b)|| / ||f(a)|| over all
 * images and classes; 0 for an invariant network up to float rounding.
 * -1 after a message. */
double ex_xp_logit_change(symclone_net *net, const symclone_dataset *a, const symclone_dataset *b);

typedef struct ex_rot_students {
  symclone_student *lift, *group_a, *group_b; /* group_a at the first group conv's size */
} ex_rot_students;

/* Clone the three students (C4, or D4 for a dihedral geometry); 0, or 1
 * after a message. */
int ex_rot_clone(const ex_rot_geom *g, long long lift_steps, long long group_steps,
                 ex_rot_students *st);
void ex_rot_free(ex_rot_students *st);

/* kind: "gcnn", "cnn", "mlp"; students non-NULL: the cloned G-CNN.  NULL
 * after a message. */
symclone_net *ex_rot_model(const ex_rot_geom *g, const char *kind, const ex_rot_students *st,
                           symclone_clone_mode mode, double beta, long long seed);

/* The five models of the reflection experiments, by index (the order of
 * --models): the p4m G-CNN, its clone in retain and in break mode, the
 * CNN and the MLP. */
#define EX_REFL_MODELS 5
extern const char *const ex_refl_names[EX_REFL_MODELS];
/* Clone the D4 students (3,000 and 2,000 steps, or --clone-steps) when a
 * selected model needs them; 0, or 1 after a message. */
int ex_refl_clone(const ex_rot_geom *g, const ex_xp_opts *o, ex_rot_students *st);
/* Model m of ex_refl_names, or NULL (message printed). */
symclone_net *ex_refl_model(const ex_rot_geom *g, const ex_xp_opts *o, const ex_rot_students *st,
                            int m);

/* The translation breaking task (examples/translation_breaking.c): the
 * digits moved on a 48x48 canvas, left by 5 to 15 pixels (label kept) or
 * right (label + 10), up to 15 pixels up or down (seed 1 for the training
 * set, 2 for the test set), then reduced to 24x24 by 2x2 mean pooling.  0,
 * or 1 after a message. */
int ex_trans_task(const symclone_dataset *train0, const symclone_dataset *test0,
                  symclone_dataset **train, symclone_dataset **test);

/* Its models on hw x hw inputs, 20 classes.  kind "cnn": 3 x (conv 3x3
 * circular, c channels - ReLU) - global average pool - dense 32 - ReLU -
 * dense; with st, every convolution is a cloned layer of st (the cloned
 * CNN).  kind "mlp": dense 128 - ReLU - dense 32 - ReLU - dense.  NULL after
 * a message. */
symclone_net *ex_trans_model(const char *kind, symclone_student *st, int hw, int c,
                             symclone_clone_mode mode, double beta, long long seed);

#endif
