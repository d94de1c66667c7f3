/* Shared plumbing of the cloning examples (clone_t2, clone_c4, clone_p4p4):
 * command-line options, training one student with progress on stderr, and
 * the figures every example prints.  The cloning itself is in the
 * examples; this header only keeps their boilerplate in one place. */
#ifndef CLONE_UTIL_H
#define CLONE_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

/* ---- options ------------------------------------------------------------- */

typedef struct clone_options {
  int objective;      /* SYMCLONE_OBJECTIVE_* */
  long steps;         /* updates per student (0: the example's default) */
  double lr;          /* learning rate (0: the example's default) */
  int kernels, inputs;
  unsigned long seed;
  int blocks[4], nblocks;
  const char *save, *load, *picture, *mnist;
  int quiet;
  int threads; /* the trainer's own threads (SYMCLONE_TRAINER_THREADS) */
} clone_options;

/* The processors online, as OpenBLAS counts them for its own default. */
static inline int online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static inline void usage(const char *prog, const char *extra) {
  fprintf(stderr,
          "usage: %s [--objective moment|unit|stochastic] [--steps N] [--lr X]\n"
          "          [--kernels K] [--inputs N] [--seed S] [--blocks B[,B...]]\n"
          "          [--save FILE] [--load FILE] [--picture PREFIX] [--mnist DIR]\n"
          "          [--threads N] [--quiet]%s\n"
          "  --objective  moment: second-moment objective (default, exact, no sampling)\n"
          "               unit: the P unit kernels every step; stochastic: K random\n"
          "               kernels and N Gaussian inputs a step (the published method)\n"
          "  --save FILE  save each trained student (FILE, or FILE.bB with several)\n"
          "  --load FILE  skip training: load a student and print its figures\n"
          "  --threads N  threads of the trainer's own passes (default: the processors\n"
          "               online); the BLAS has its own (OPENBLAS_NUM_THREADS; with\n"
          "               several, run with OPENBLAS_THREAD_TIMEOUT=4).  The figures\n"
          "               do not depend on it\n"
          "  --picture PREFIX  pictures go to PREFIX-*.png (.pgm without libpng);\n"
          "               the default prefix is the program's name\n",
          prog, extra ? extra : "");
}

static inline int parse_blocks(const char *s, clone_options *o) {
  o->nblocks = 0;
  while (*s && o->nblocks < 4) {
    char *end;
    long b = strtol(s, &end, 10);
    if (end == s || b < 1 || b > 4096) return -1;
    o->blocks[o->nblocks++] = (int)b;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return -1;
  }
  return o->nblocks > 0 ? 0 : -1;
}

/* Returns 0, or 1 after printing usage. */
static inline int parse_options(int argc, char **argv, clone_options *o) {
  memset(o, 0, sizeof *o);
  o->objective = SYMCLONE_OBJECTIVE_MOMENT;
  o->kernels = 16;
  o->inputs = 64;
  o->blocks[0] = 9;
  o->blocks[1] = 7;
  o->nblocks = 2;
  o->threads = online_cpus();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (!strcmp(a, "--quiet")) {
      o->quiet = 1;
      takes = 0;
    } else if (!v) {
      usage(argv[0], NULL);
      return 1;
    } else if (!strcmp(a, "--objective")) {
      if (!strcmp(v, "moment")) o->objective = SYMCLONE_OBJECTIVE_MOMENT;
      else if (!strcmp(v, "unit")) o->objective = SYMCLONE_OBJECTIVE_UNIT_KERNELS;
      else if (!strcmp(v, "stochastic")) o->objective = SYMCLONE_OBJECTIVE_STOCHASTIC;
      else { usage(argv[0], NULL); return 1; }
    } else if (!strcmp(a, "--steps")) o->steps = atol(v);
    else if (!strcmp(a, "--lr")) o->lr = atof(v);
    else if (!strcmp(a, "--kernels")) o->kernels = atoi(v);
    else if (!strcmp(a, "--inputs")) o->inputs = atoi(v);
    else if (!strcmp(a, "--seed")) o->seed = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--blocks")) {
      if (parse_blocks(v, o)) { usage(argv[0], NULL); return 1; }
    } else if (!strcmp(a, "--save")) o->save = v;
    else if (!strcmp(a, "--load")) o->load = v;
    else if (!strcmp(a, "--picture")) o->picture = v;
    else if (!strcmp(a, "--mnist")) o->mnist = v;
    else if (!strcmp(a, "--threads")) {
      o->threads = atoi(v);
      if (o->threads < 1 || o->threads > 256) { usage(argv[0], NULL); return 1; }
    }
    else { usage(argv[0], NULL); return 1; }
    i += takes;
  }
  if (o->load) o->nblocks = 1;
  return 0;
}

static inline const char *objective_name(int objective) {
  return objective == SYMCLONE_OBJECTIVE_MOMENT         ? "moment"
         : objective == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? "unit"
                                                        : "stochastic";
}

/* ---- errors ---------------------------------------------------------------- */

#define CHECK(call, detail)                                                                        \
  do {                                                                                             \
    symclone_status st_ = (call);                                                                  \
    if (st_ != SYMCLONE_OK) {                                                                      \
      const char *d_ = (detail);                                                                   \
      fprintf(stderr, "%s: %s failed: %s%s%s\n", prog, #call, symclone_strerror(st_),              \
              d_ && *d_ ? ": " : "", d_ ? d_ : "");                                                 \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* ---- training ------------------------------------------------------------- */

static inline int print_progress(void *user, long long step, double loss, double rel, double seconds) {
  const char *name = user;
  fprintf(stderr, "%s step=%lld loss=%.4g rel_loss=%.4g elapsed=%.1fs\n", name, step, loss, rel,
          seconds);
  return 0;
}

/* The schedule of the examples: a constant learning rate for the first
 * 70 % of the steps (long enough to leave the plateau a lifting student
 * sits on before it finds the rotations), then a cosine decay to zero,
 * which takes the sampling objectives below their noise floor. */
static inline symclone_status train_student(symclone_student *s, const clone_options *o, long steps,
                                     double lr, const char *name, double *seconds,
                                     double *train_rel) {
  symclone_trainer *tr = NULL;
  symclone_status st = symclone_trainer_create(&tr, s);
  if (st) return st;
  long warm = steps * 7 / 10;
  if (!(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, o->objective)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_LEARNING_RATE, lr)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, o->kernels)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, o->inputs)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, (double)o->seed)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, o->threads)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_PROGRESS_EVERY, steps >= 10 ? steps / 10 : 1)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_SCHEDULE, SYMCLONE_SCHEDULE_COSINE)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_HOLD_STEPS, (double)warm)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, (double)steps)))
    st = symclone_trainer_set_progress(tr, o->quiet ? NULL : print_progress, (void *)name);
  if (!st) st = symclone_trainer_run(tr);
  if (st) fprintf(stderr, "%s: training failed: %s\n", name, symclone_trainer_last_error(tr));
  *seconds = symclone_trainer_seconds(tr);
  *train_rel = symclone_trainer_rel_loss(tr);
  symclone_trainer_free(tr);
  return st;
}

/* ---- figures ---------------------------------------------------------------- */

/* The exact relative loss E ||S - teacher||^2 / E ||teacher||^2 over
 * theta ~ N(0, I) and standard normal inputs: sum_p ||M(e_p) - K(e_p)||^2 /
 * sum_p ||K(e_p)||^2, from the effective matrices of the unit kernels. */
static inline symclone_status exact_rel_loss(const symclone_student *s, double *rel) {
  symclone_layer *t = NULL;
  symclone_status st = symclone_student_teacher(s, &t);
  if (st) return st;
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t P = symclone_student_theta_size(s);
  float *m = malloc(in * out * sizeof *m), *k = malloc(in * out * sizeof *k);
  float *e = calloc(P, sizeof *e);
  double num = 0, den = 0;
  if (!m || !k || !e) st = SYMCLONE_ERR_NOMEM;
  for (size_t p = 0; p < P && !st; p++) {
    memset(e, 0, P * sizeof *e);
    e[p] = 1.0f;
    if (!(st = symclone_student_effective_matrix(s, e, m)) &&
        !(st = symclone_layer_unroll(t, e, k)))
      for (size_t j = 0; j < in * out; j++) {
        double d = (double)m[j] - k[j];
        num += d * d;
        den += (double)k[j] * k[j];
      }
  }
  if (!st) *rel = num / den;
  free(m), free(k), free(e);
  symclone_layer_free(t);
  return st;
}

/* An operator for the equivariance diagnostics: the student at one theta. */
typedef struct student_at {
  const symclone_student *s;
  const float *theta;
} student_at;

static inline symclone_status student_op(void *user, size_t batch, const float *x, float *y) {
  const student_at *a = user;
  return symclone_student_forward(a->s, a->theta, batch, x, y);
}

/* The figures every cloning example prints for a student. */
typedef struct clone_figures {
  double rel, dist, per[16], eq_mean, eq_max;
  int orientations;
} clone_figures;

/* Measure a student: the exact relative loss, the Toeplitz distance (8
 * draws, overall and per output orientation) and its equivariance error
 * under `group` at the fixed kernel theta (8 Gaussian inputs, the given
 * mask, every group element or a sample of max_elements). */
static inline symclone_status measure_student(const symclone_student *s,
                                              const symclone_group *group, const float *theta,
                                              symclone_mask mask, int max_elements,
                                              clone_figures *f, char *errbuf, size_t errlen) {
  int in_shape[4], out_shape[4];
  symclone_student_input_shape(s, in_shape);
  symclone_student_output_shape(s, out_shape);
  f->orientations = out_shape[1] < 16 ? out_shape[1] : 16;
  symclone_status st = exact_rel_loss(s, &f->rel);
  if (!st) st = symclone_student_toeplitz_distance(s, 8, 12345, &f->dist, f->per);
  if (st) {
    snprintf(errbuf, errlen, "%s", symclone_student_last_error(s));
    return st;
  }
  student_at op = {s, theta};
  symclone_diag *d = NULL;
  if ((st = symclone_diag_create(&d, group, in_shape, out_shape))) {
    snprintf(errbuf, errlen, "cannot measure the equivariance: %s", symclone_strerror(st));
    return st;
  }
  if (!(st = symclone_diag_set(d, SYMCLONE_DIAG_MASK, mask)) &&
      !(st = symclone_diag_set(d, SYMCLONE_DIAG_MAX_ELEMENTS, max_elements)))
    st = symclone_diag_equivariance_error(d, student_op, &op, &f->eq_mean, &f->eq_max);
  if (st) snprintf(errbuf, errlen, "%s", symclone_diag_last_error(d));
  symclone_diag_free(d);
  return st;
}

static inline void print_figures(const char *name, const symclone_student *s,
                                 const clone_options *o, long steps, double lr, double seconds,
                                 double train_rel, const clone_figures *f) {
  printf("student=%s\n", name);
  printf("blocks=%d\n", symclone_student_blocks(s));
  printf("objective=%s\n", o->load ? "loaded" : objective_name(o->objective));
  printf("steps=%ld\n", o->load ? 0L : steps);
  printf("lr=%g\n", lr);
  if (o->objective == SYMCLONE_OBJECTIVE_STOCHASTIC && !o->load)
    printf("kernels_per_step=%d\ninputs_per_step=%d\n", o->kernels, o->inputs);
  printf("train_rel_loss=%.3e\n", train_rel);
  printf("rel_loss=%.3e\n", f->rel);
  printf("toeplitz_rel_dist=%.3e\n", f->dist);
  if (f->orientations > 1)
    for (int r = 0; r < f->orientations; r++)
      printf("toeplitz_rel_dist_r%d=%.3e\n", r, f->per[r]);
  printf("equiv_err=%.3e\n", f->eq_mean);
  printf("equiv_err_max=%.3e\n", f->eq_max);
  printf("seconds=%.2f\n", seconds);
}

/* A file name for student i of several: FILE, or FILE.bB. */
static inline void student_path(char *buf, size_t len, const char *base, int blocks, int several) {
  if (several)
    snprintf(buf, len, "%s.b%d", base, blocks);
  else
    snprintf(buf, len, "%s", base);
}

/* Load the MNIST digits, or make up one digit-like image (a ring with a
 * bar) when no data is found.  Returns a malloc'ed 28x28 image. */
static inline float *example_digit(const char *dir, const char **source) {
  float *img = calloc(28 * 28, sizeof *img);
  if (!img) return NULL;
  char ip[512], lp[512];
  const char *env = getenv("SYMCLONE_DATA_DIR");
  const char *dirs[4] = {dir, env, "data/mnist", "../data/mnist"};
  for (int d = 0; d < 4; d++) {
    if (!dirs[d]) continue;
    snprintf(ip, sizeof ip, "%s/mnist10k-images-idx3-ubyte.gz", dirs[d]);
    snprintf(lp, sizeof lp, "%s/mnist10k-labels-idx1-ubyte.gz", dirs[d]);
    symclone_dataset *ds = NULL;
    if (symclone_dataset_load_idx(&ds, ip, lp, 10, NULL) == SYMCLONE_OK) {
      /* the digits are sorted by label; take a 7, which is not symmetric */
      const int *labels = symclone_dataset_labels(ds);
      size_t pick = 0;
      for (size_t i = 0; i < symclone_dataset_count(ds); i++)
        if (labels[i] == 7) {
          pick = i;
          break;
        }
      memcpy(img, symclone_dataset_images(ds) + pick * 784, 784 * sizeof *img);
      symclone_dataset_free(ds);
      *source = "mnist";
      return img;
    }
  }
  /* synthetic: an off-centre "7": a top bar and a slanted stroke */
  for (int x = 7; x < 21; x++) img[6 * 28 + x] = img[7 * 28 + x] = 1.0f;
  for (int y = 8; y < 23; y++) {
    int x = 20 - (y - 8) * 2 / 3;
    img[y * 28 + x] = img[y * 28 + x - 1] = 1.0f;
  }
  *source = "synthetic";
  return img;
}

#endif
