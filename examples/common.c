/* Code shared by the example programs; see common.h. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SYMCLONE_SOURCE_ROOT
#define SYMCLONE_SOURCE_ROOT "."
#endif

/* ---- the command line ---------------------------------------------------- */

static const char *prog_name = "example";

const char *ex_prog(void) { return prog_name; }

/* An option's range as an interval: "[1, 256]", "(0, 10]". */
static void format_range(char *buf, size_t len, const ex_option *o) {
  if (o->kind == EX_OPT_INT || o->kind == EX_OPT_INT_LIST)
    snprintf(buf, len, "[%.0f, %.0f]", o->min, o->max);
  else
    snprintf(buf, len, "%c%g, %g]", o->min_open ? '(' : '[', o->min, o->max);
}

static void usage(FILE *f, const char *about, const ex_option *opts, int n) {
  fprintf(f, "usage: %s [options]\n%s\noptions:\n", prog_name, about);
  for (int i = 0; i < n; i++) {
    const ex_option *o = &opts[i];
    char head[64];
    if (o->kind == EX_OPT_CHOICE)
      snprintf(head, sizeof head, "%s %s", o->name, o->choices);
    else
      snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (strlen(head) > 20)
      fprintf(f, "  %s\n  %-20s ", head, "");
    else
      fprintf(f, "  %-20s ", head);
    for (const char *h = o->help; *h; h++) {
      fputc(*h, f);
      if (*h == '\n') fprintf(f, "  %-20s ", "");
    }
    if (o->kind == EX_OPT_INT || o->kind == EX_OPT_INT_LIST || o->kind == EX_OPT_REAL) {
      char range[64];
      format_range(range, sizeof range, o);
      fprintf(f, "\n  %-20s %s in %s", "", o->arg, range);
    }
    fputc('\n', f);
  }
  fprintf(f, "  %-20s this text\n", "--help");
}

/* -?[0-9]+ and nothing else, in range: 0, else 1 after a message. */
static int parse_int(const ex_option *o, const char *s, long long *out) {
  const char *p = s + (*s == '-');
  if (!*p) goto not_whole;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q)) goto not_whole;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno == ERANGE || (double)v < o->min || (double)v > o->max) {
    char range[64];
    format_range(range, sizeof range, o);
    fprintf(stderr, "%s: %s: %s is outside %s\n", prog_name, o->name, s, range);
    return 1;
  }
  *out = v;
  return 0;
not_whole:
  fprintf(stderr, "%s: %s: '%s' is not a whole number\n", prog_name, o->name, s);
  return 1;
}

static int parse_real(const ex_option *o, const char *s, double *out) {
  char *end;
  errno = 0;
  double v = *s && !isspace((unsigned char)*s) ? strtod(s, &end) : NAN;
  if (isnan(v) || *end || !isfinite(v)) {
    fprintf(stderr, "%s: %s: '%s' is not a finite number\n", prog_name, o->name, s);
    return 1;
  }
  if (v < o->min || (o->min_open && v == o->min) || v > o->max) {
    char range[64];
    format_range(range, sizeof range, o);
    fprintf(stderr, "%s: %s: %s is outside %s\n", prog_name, o->name, s, range);
    return 1;
  }
  *out = v;
  return 0;
}

static int parse_choice(const ex_option *o, const char *s, int *out) {
  const char *c = o->choices;
  size_t len = strlen(s);
  for (int idx = 0; *c; idx++) {
    size_t w = strcspn(c, "|");
    if (w == len && !strncmp(c, s, len)) {
      *out = idx;
      return 0;
    }
    c += w + (c[w] == '|');
  }
  fprintf(stderr, "%s: %s: '%s' is not one of %s\n", prog_name, o->name, s, o->choices);
  return 1;
}

static int parse_list(const ex_option *o, const char *s, ex_int_list *out) {
  ex_int_list l = {{0}, 0};
  char item[32];
  for (const char *p = s;; l.n++) {
    size_t w = strcspn(p, ",");
    if (l.n == EX_LIST_MAX) {
      fprintf(stderr, "%s: %s: '%s' has more than %d values\n", prog_name, o->name, s, EX_LIST_MAX);
      return 1;
    }
    if (w == 0 || w >= sizeof item) {
      fprintf(stderr, "%s: %s: '%s' is not a comma-separated list of whole numbers\n", prog_name,
              o->name, s);
      return 1;
    }
    memcpy(item, p, w);
    item[w] = '\0';
    if (parse_int(o, item, &l.v[l.n])) return 1;
    if (!p[w]) break;
    p += w + 1;
  }
  l.n++;
  *out = l;
  return 0;
}

static int parse_value(const ex_option *o, const char *v) {
  struct stat sb;
  switch (o->kind) {
    case EX_OPT_INT:
      return parse_int(o, v, o->value);
    case EX_OPT_REAL:
      return parse_real(o, v, o->value);
    case EX_OPT_CHOICE:
      return parse_choice(o, v, o->value);
    case EX_OPT_INT_LIST:
      return parse_list(o, v, o->value);
    case EX_OPT_DIR:
      if (stat(v, &sb) || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: %s: '%s' is not a directory\n", prog_name, o->name, v);
        return 1;
      }
      *(const char **)o->value = v;
      return 0;
    case EX_OPT_TEXT:
      if (!*v) {
        fprintf(stderr, "%s: %s: the value is empty\n", prog_name, o->name);
        return 1;
      }
      *(const char **)o->value = v;
      return 0;
    case EX_OPT_FLAG:
      break;
  }
  return 1;
}

int ex_parse(int argc, char **argv, const char *about, const ex_option *opts, int n) {
  if (argc > 0 && argv[0] && *argv[0]) {
    const char *slash = strrchr(argv[0], '/');
    prog_name = slash ? slash + 1 : argv[0];
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout, about, opts, n);
      return 0;
    }
    const ex_option *o = NULL;
    for (int k = 0; k < n && !o; k++)
      if (!strcmp(a, opts[k].name)) o = &opts[k];
    if (!o) {
      fprintf(stderr, "%s: %s '%s'\n", prog_name,
              a[0] == '-' ? "unknown option" : "unexpected argument", a);
      goto bad;
    }
    if (o->kind == EX_OPT_FLAG) {
      *(int *)o->value = 1;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs a value (%s)\n", prog_name, o->name,
              o->kind == EX_OPT_CHOICE ? o->choices : o->arg);
      goto bad;
    }
    if (parse_value(o, argv[++i])) goto bad;
  }
  return -1;
bad:
  usage(stderr, about, opts, n);
  return 2;
}

double ex_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ex_online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* ---- data ------------------------------------------------------------------ */

static int exists(const char *p) { return access(p, F_OK) == 0; }

int ex_find_mnist(const char *dir, char *images, char *labels, size_t len) {
  const char *env = getenv("SYMCLONE_DATA_DIR");
  const char *dirs[4] = {env && *env ? env : NULL, "data/mnist", "../data/mnist",
                         SYMCLONE_SOURCE_ROOT "/data/mnist"};
  int ndirs = 4;
  if (dir) dirs[0] = dir, ndirs = 1;
  for (int k = 0; k < ndirs; k++) {
    if (!dirs[k]) continue;
    snprintf(images, len, "%s/mnist10k-images-idx3-ubyte.gz", dirs[k]);
    snprintf(labels, len, "%s/mnist10k-labels-idx1-ubyte.gz", dirs[k]);
    if (exists(images) && exists(labels)) return 1;
  }
  return 0;
}

symclone_dataset *ex_load_pair(const char *images, const char *labels) {
  symclone_dataset *ds = NULL;
  symclone_loader *loader = NULL;
  symclone_status st = symclone_loader_create(&loader);
  if (!st) st = symclone_dataset_load_idx(&ds, images, labels, 10, loader);
  if (st)
    fprintf(stderr, "%s: cannot load %s and %s: %s (%s)\n", prog_name, images, labels,
            symclone_loader_last_error(loader), symclone_strerror(st));
  symclone_loader_free(loader);
  return ds;
}

int ex_check_geometry(const symclone_dataset *ds, const char *what, int rows, int cols) {
  if (symclone_dataset_rows(ds) == rows && symclone_dataset_cols(ds) == cols) return 1;
  fprintf(stderr, "%s: %s holds %dx%d images; %dx%d images are needed\n", prog_name, what,
          symclone_dataset_rows(ds), symclone_dataset_cols(ds), rows, cols);
  return 0;
}

/* ---- the cloning examples ---------------------------------------------------- */

int ex_clone_parse(int argc, char **argv, const char *about, long long default_steps,
                   int with_mnist, ex_clone_opts *o) {
  memset(o, 0, sizeof *o);
  int objective = 0;
  o->steps = default_steps;
  o->lr = 1e-2;
  o->kernels = 16;
  o->inputs = 64;
  o->blocks.v[0] = 9;
  o->blocks.v[1] = 7;
  o->blocks.n = 2;
  o->threads = ex_online_cpus();
  char steps_help[64];
  snprintf(steps_help, sizeof steps_help, "updates per student (default %lld)", default_steps);
  const ex_option opts[] = {
      {"--objective", EX_OPT_CHOICE, &objective, NULL, 0, 0, 0, "moment|unit|stochastic",
       "moment: the second-moment objective (default, exact, no sampling);\n"
       "unit: the P unit kernels every step; stochastic: K random kernels\n"
       "and N Gaussian inputs a step (the published method)"},
      {"--steps", EX_OPT_INT, &o->steps, "N", 1, 1e9, 0, NULL, steps_help},
      {"--lr", EX_OPT_REAL, &o->lr, "X", 0, 10, 1, NULL, "learning rate (default 0.01)"},
      {"--kernels", EX_OPT_INT, &o->kernels, "K", 1, 65536, 0, NULL,
       "random kernels a step, stochastic objective (default 16)"},
      {"--inputs", EX_OPT_INT, &o->inputs, "N", 1, 65536, 0, NULL,
       "Gaussian inputs a step, stochastic objective (default 64)"},
      {"--seed", EX_OPT_INT, &o->seed, "S", 0, 4294967295.0, 0, NULL,
       "seed of the students and the trainer (default 0)"},
      {"--blocks", EX_OPT_INT_LIST, &o->blocks, "B[,B...]", 1, 4096, 0, NULL,
       "one student per value, distinct, at most 4 (default 9,7)"},
      {"--save", EX_OPT_TEXT, &o->save, "FILE", 0, 0, 0, NULL,
       "save each trained student (FILE, or FILE.bB with several)"},
      {"--load", EX_OPT_TEXT, &o->load, "FILE", 0, 0, 0, NULL,
       "skip training: load a student and print its figures"},
      {"--picture", EX_OPT_TEXT, &o->picture, "PREFIX", 0, 0, 0, NULL,
       "pictures go to PREFIX-*.png (.pgm without libpng);\n"
       "the default prefix is the program's name"},
      {"--threads", EX_OPT_INT, &o->threads, "N", 1, 256, 0, NULL,
       "threads of the trainer's own passes (default: the processors\n"
       "online); the BLAS has its own (OPENBLAS_NUM_THREADS; with several,\n"
       "run with OPENBLAS_THREAD_TIMEOUT=4).  The figures do not depend on it"},
      {"--quiet", EX_OPT_FLAG, &o->quiet, NULL, 0, 0, 0, NULL, "no progress on stderr"},
      {"--subspaces", EX_OPT_TEXT, &o->subspaces, "I[,I...]", 0, 0, 0, NULL,
       "one more student, restricted to these invariant filter subspaces\n"
       "(blocks: their dimension), beside the others"},
      {"--list-subspaces", EX_OPT_FLAG, &o->list_subspaces, NULL, 0, 0, 0, NULL,
       "list the invariant filter subspaces and exit"},
      {"--mnist", EX_OPT_DIR, &o->mnist, "DIR", 0, 0, 0, NULL,
       "the MNIST digits of scripts/fetch-mnist for the pictures (default:\n"
       "$SYMCLONE_DATA_DIR, data/mnist, ../data/mnist, else a synthetic digit)"},
  };
  int n = (int)(sizeof opts / sizeof opts[0]) - (with_mnist ? 0 : 1);
  int rc = ex_parse(argc, argv, about, opts, n);
  for (int i = 0; rc < 0 && i < o->blocks.n; i++)
    for (int j = 0; j < i; j++)
      if (o->blocks.v[i] == o->blocks.v[j]) {
        fprintf(stderr, "%s: --blocks: %lld is given twice (one student per value)\n", prog_name,
                (long long)o->blocks.v[i]);
        usage(stderr, about, opts, n);
        rc = 2;
        break;
      }
  static const symclone_objective objectives[3] = {
      SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OBJECTIVE_UNIT_KERNELS, SYMCLONE_OBJECTIVE_STOCHASTIC};
  o->objective = objectives[objective];
  if (o->load) o->blocks.n = 1;
  return rc;
}

static const char *objective_name(symclone_objective objective) {
  return objective == SYMCLONE_OBJECTIVE_MOMENT         ? "moment"
         : objective == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? "unit"
                                                        : "stochastic";
}

static int print_progress(void *user, long long step, double loss, double rel, double seconds) {
  fprintf(stderr, "%s step=%lld loss=%.4g rel_loss=%.4g elapsed=%.1fs\n", (const char *)user, step,
          loss, rel, seconds);
  return 0;
}

symclone_status ex_train_student(symclone_student *s, const ex_clone_opts *o, const char *name,
                                 double *seconds, double *train_rel) {
  symclone_trainer *tr = NULL;
  symclone_status st = symclone_trainer_create(&tr, s);
  if (st) return st;
  long long steps = o->steps, warm = steps * 7 / 10;
  if (!(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, o->objective)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_LEARNING_RATE, o->lr)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, (double)o->kernels)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, (double)o->inputs)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, (double)o->seed)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, (double)o->threads)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_PROGRESS_EVERY,
                                  steps >= 10 ? (double)(steps / 10) : 1)) &&
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

/* An operator for the equivariance diagnostics: the student at one theta. */
typedef struct student_at {
  const symclone_student *s;
  const float *theta;
} student_at;

static symclone_status student_op(void *user, size_t batch, const float *x, float *y) {
  const student_at *a = user;
  return symclone_student_forward(a->s, a->theta, batch, x, y);
}

symclone_status ex_measure_student(const symclone_student *s, const symclone_group *group,
                                   const float *theta, symclone_mask mask, int max_elements,
                                   ex_figures *f, char *errbuf, size_t errlen) {
  int in_shape[4], out_shape[4];
  symclone_student_input_shape(s, in_shape);
  symclone_student_output_shape(s, out_shape);
  f->orientations = out_shape[1] < 16 ? out_shape[1] : 16;
  symclone_status st = symclone_student_relative_loss(s, &f->rel);
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

void ex_print_figures(const char *name, const symclone_student *s, const ex_clone_opts *o,
                      double seconds, double train_rel, const ex_figures *f) {
  printf("student=%s\n", name);
  printf("blocks=%d\n", symclone_student_blocks(s));
  printf("objective=%s\n", o->load ? "loaded" : objective_name(o->objective));
  printf("steps=%lld\n", o->load ? 0LL : o->steps);
  printf("lr=%g\n", o->lr);
  if (o->objective == SYMCLONE_OBJECTIVE_STOCHASTIC && !o->load)
    printf("kernels_per_step=%lld\ninputs_per_step=%lld\n", o->kernels, o->inputs);
  printf("train_rel_loss=%.3e\n", train_rel);
  printf("rel_loss=%.3e\n", f->rel);
  printf("toeplitz_rel_dist=%.3e\n", f->dist);
  if (f->orientations > 1)
    for (int r = 0; r < f->orientations; r++) printf("toeplitz_rel_dist_r%d=%.3e\n", r, f->per[r]);
  printf("equiv_err=%.3e\n", f->eq_mean);
  printf("equiv_err_max=%.3e\n", f->eq_max);
  printf("seconds=%.2f\n", seconds);
}

void ex_student_path(char *buf, size_t len, const ex_clone_opts *o, int blocks) {
  if (o->blocks.n > 1)
    snprintf(buf, len, "%s.b%d", o->save, blocks);
  else
    snprintf(buf, len, "%s", o->save);
}

static struct {
  dev_t dev;
  ino_t ino;
  char path[256];
} outputs[16];
static int n_outputs;

int ex_output_free(const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) return 1;
  for (int i = 0; i < n_outputs; i++)
    if (outputs[i].dev == sb.st_dev && outputs[i].ino == sb.st_ino) {
      fprintf(stderr, "%s: %s names %s, written earlier in this run; not replacing it\n",
              prog_name, path, outputs[i].path);
      return 0;
    }
  return 1;
}

void ex_output_written(const char *path) {
  struct stat sb;
  if (n_outputs == (int)(sizeof outputs / sizeof outputs[0]) || stat(path, &sb) != 0) return;
  outputs[n_outputs].dev = sb.st_dev;
  outputs[n_outputs].ino = sb.st_ino;
  snprintf(outputs[n_outputs].path, sizeof outputs[n_outputs].path, "%s", path);
  n_outputs++;
}

symclone_student *ex_load_student(const char *path, symclone_student_kind kind, int orientations,
                                  int kernel, int size) {
  symclone_student *s = NULL;
  symclone_loader *loader = NULL;
  symclone_status st = symclone_loader_create(&loader);
  if (!st) st = symclone_student_load(&s, path, loader);
  if (st) {
    fprintf(stderr, "%s: cannot load %s: %s (%s)\n", prog_name, path,
            symclone_loader_last_error(loader), symclone_strerror(st));
    symclone_loader_free(loader);
    return NULL;
  }
  symclone_loader_free(loader);
  int shape[4] = {0, 0, 0, 0};
  symclone_student_input_shape(s, shape);
  int n = kind == SYMCLONE_STUDENT_PLANAR ? 1 : orientations;
  if (symclone_student_kind_of(s) != kind || symclone_student_orientations(s) != n ||
      symclone_student_kernel(s) != kernel || shape[2] != size || shape[3] != size ||
      symclone_student_padding(s) != SYMCLONE_PADDING_VALID) {
    fprintf(stderr,
            "%s: %s holds a student of kind %d, %d orientations, kernel %d, %dx%d inputs, "
            "padding %d; this program needs kind %d, %d orientations, kernel %d, %dx%d "
            "inputs, padding %d (valid)\n",
            prog_name, path, (int)symclone_student_kind_of(s), symclone_student_orientations(s),
            symclone_student_kernel(s), shape[2], shape[3], (int)symclone_student_padding(s),
            (int)kind, n, kernel, size, size, (int)SYMCLONE_PADDING_VALID);
    symclone_student_free(s);
    return NULL;
  }
  return s;
}

const char *ex_picture_ext(void) { return symclone_picture_png_available() ? "png" : "pgm"; }

/* ---- the downstream experiments --------------------------------------------- */

int ex_xp_parse(int argc, char **argv, const char *about, ex_xp_opts *o) {
  return ex_xp_parse_ext(argc, argv, about, 0, o);
}

/* "break,mlp" -> the bits of those models; 0, or 1 after a message. */
static int parse_models(const char *text, int *bits) {
  static const char *const names[] = {"gcnn", "retain", "break", "cnn", "mlp"};
  int set = 0;
  for (const char *p = text;;) {
    size_t w = strcspn(p, ",");
    int k = 0;
    while (k < 5 && !(strlen(names[k]) == w && !strncmp(names[k], p, w))) k++;
    if (k == 5) {
      fprintf(stderr, "%s: --models: '%.*s' is not one of gcnn, retain, break, cnn, mlp\n",
              prog_name, (int)w, p);
      return 1;
    }
    set |= 1 << k;
    if (!p[w]) break;
    p += w + 1;
  }
  *bits = set;
  return 0;
}

int ex_xp_parse_ext(int argc, char **argv, const char *about, int extras, ex_xp_opts *o) {
  memset(o, 0, sizeof *o);
  const char *models = NULL;
  const ex_option base[] = {
      {"--quick", EX_OPT_FLAG, &o->quick, NULL, 0, 0, 0, NULL,
       "the short run of docs/results.md (3,000 training images, 5 epochs)"},
      {"--fashion", EX_OPT_FLAG, &o->fashion, NULL, 0, 0, 0, NULL,
       "Fashion-MNIST from /usr/share/datasets/fashion-mnist"},
      {"--images", EX_OPT_TEXT, &o->images, "FILE", 0, 0, 0, NULL,
       "IDX images of 28x28 pixels (with --labels) instead of the digits of\n"
       "$SYMCLONE_DATA_DIR, data/mnist or the source tree (scripts/fetch-mnist)"},
      {"--labels", EX_OPT_TEXT, &o->labels, "FILE", 0, 0, 0, NULL, "IDX labels of --images"},
      {"--test-images", EX_OPT_TEXT, &o->test_images, "FILE", 0, 0, 0, NULL,
       "a separate test set (with --test-labels) instead of the split"},
      {"--test-labels", EX_OPT_TEXT, &o->test_labels, "FILE", 0, 0, 0, NULL,
       "IDX labels of --test-images"},
      {"--train", EX_OPT_INT, &o->train_count, "N", 1, 1e9, 0, NULL,
       "training images (default: all; 3,000 with --quick)"},
      {"--epochs", EX_OPT_INT, &o->epochs, "N", 1, 1000, 0, NULL,
       "epochs (default 6; 5 with --quick)"},
      {"--beta", EX_OPT_REAL, &o->beta, "B", 0, 1e6, 0, NULL,
       "break penalty of the cloned layers in break mode (default 0)"},
      {"--seed", EX_OPT_INT, &o->seed, "S", 0, 4294967295.0, 0, NULL,
       "seed of the networks and their training (default 0)"},
  };
  const ex_option extra[] = {
      {"--clone-steps", EX_OPT_INT, &o->clone_steps, "N", 1, 1e6, 0, NULL,
       "updates of every student (default: 3,000 for the lifting student,\n"
       "2,000 for the group students)"},
      {"--models", EX_OPT_TEXT, &models, "M[,M...]", 0, 0, 0, NULL,
       "train and test only these models, of gcnn, retain, break, cnn, mlp\n"
       "(default: all five, in this order)"},
  };
  enum { NBASE = sizeof base / sizeof base[0], NEXTRA = sizeof extra / sizeof extra[0] };
  ex_option opts[NBASE + NEXTRA];
  int n = 0;
  for (int i = 0; i < NBASE; i++) opts[n++] = base[i];
  for (int i = 0; i < NEXTRA; i++)
    if (extras & (1 << i)) opts[n++] = extra[i];
  int rc = ex_parse(argc, argv, about, opts, n);
  if (rc >= 0) return rc;
  if (!o->images != !o->labels || !o->test_images != !o->test_labels) {
    fprintf(stderr, "%s: %s\n", prog_name,
            !o->images != !o->labels ? "--images and --labels go together"
                                     : "--test-images and --test-labels go together");
    usage(stderr, about, opts, n);
    return 2;
  }
  if (models && parse_models(models, &o->models)) {
    usage(stderr, about, opts, n);
    return 2;
  }
  if (!o->train_count && o->quick) o->train_count = 3000;
  if (!o->epochs) o->epochs = o->quick ? 5 : 6;
  return -1;
}

int ex_xp_wants(const ex_xp_opts *o, int k) { return !o->models || (o->models >> k & 1); }

#define XP_TEST_COUNT 2000
#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Keep the first n images of *ds; 0, or 1 after a message. */
static int keep_first(symclone_dataset **ds, size_t n) {
  if (n >= symclone_dataset_count(*ds)) return 0;
  symclone_dataset *t;
  symclone_status st = symclone_dataset_subset(*ds, NULL, n, &t);
  if (st) {
    fprintf(stderr, "%s: %s\n", prog_name, symclone_dataset_last_error(*ds));
    return 1;
  }
  symclone_dataset_free(*ds);
  *ds = t;
  return 0;
}

int ex_xp_load(const ex_xp_opts *o, symclone_dataset **train, symclone_dataset **test) {
  char im[1024], lb[1024], tim[1024], tlb[1024];
  const char *images = o->images, *labels = o->labels, *ti = o->test_images, *tl = o->test_labels;
  if (!images && o->fashion) {
    snprintf(im, sizeof im, "%s/train-images-idx3-ubyte.gz", FASHION_DIR);
    snprintf(lb, sizeof lb, "%s/train-labels-idx1-ubyte.gz", FASHION_DIR);
    snprintf(tim, sizeof tim, "%s/t10k-images-idx3-ubyte.gz", FASHION_DIR);
    snprintf(tlb, sizeof tlb, "%s/t10k-labels-idx1-ubyte.gz", FASHION_DIR);
    images = im, labels = lb;
    if (!ti) ti = tim, tl = tlb;
  } else if (!images) {
    if (!ex_find_mnist(NULL, im, lb, sizeof im)) {
      fprintf(stderr,
              "%s: no MNIST digits found: run scripts/fetch-mnist, set "
              "SYMCLONE_DATA_DIR or pass --images and --labels\n",
              prog_name);
      return 1;
    }
    images = im, labels = lb;
  }
  symclone_dataset *all = ex_load_pair(images, labels), *tr = NULL, *te = NULL;
  if (!all) return 1;
  if (!ex_check_geometry(all, images, 28, 28)) goto fail;
  if (ti) {
    tr = all;
    all = NULL;
    if (!(te = ex_load_pair(ti, tl)) || !ex_check_geometry(te, ti, 28, 28) ||
        keep_first(&te, XP_TEST_COUNT))
      goto fail;
  } else {
    size_t n = symclone_dataset_count(all);
    if (n <= XP_TEST_COUNT) {
      fprintf(stderr,
              "%s: %s holds %zu images; the split needs more than %d (%d test images "
              "and at least one to train on)\n",
              prog_name, images, n, XP_TEST_COUNT, XP_TEST_COUNT);
      goto fail;
    }
    if (symclone_dataset_split(all, XP_TEST_COUNT, 0, &tr, &te)) {
      fprintf(stderr, "%s: %s\n", prog_name, symclone_dataset_last_error(all));
      goto fail;
    }
    symclone_dataset_free(all);
    all = NULL;
  }
  if (o->train_count > 0 && (size_t)o->train_count > symclone_dataset_count(tr)) {
    fprintf(stderr,
            "%s: %lld training images are needed (--train, or 3,000 with --quick); "
            "%s gives %zu\n",
            prog_name, o->train_count, images, symclone_dataset_count(tr));
    goto fail;
  }
  if (o->train_count > 0 && keep_first(&tr, (size_t)o->train_count)) goto fail;
  *train = tr;
  *test = te;
  fprintf(stderr, "data: %zu training and %zu test images from %s\n", symclone_dataset_count(tr),
          symclone_dataset_count(te), images);
  return 0;
fail:
  symclone_dataset_free(all);
  symclone_dataset_free(tr);
  symclone_dataset_free(te);
  return 1;
}

int ex_xp_downsample(symclone_dataset **ds) {
  symclone_dataset *h;
  if (symclone_dataset_downsample2(*ds, &h)) {
    fprintf(stderr, "%s: %s\n", prog_name, symclone_dataset_last_error(*ds));
    return 1;
  }
  symclone_dataset_free(*ds);
  *ds = h;
  return 0;
}

symclone_student *ex_xp_clone(const char *name, symclone_student_kind kind, int k, int hw,
                              symclone_padding pad, long long steps) {
  symclone_student *s = NULL;
  symclone_trainer *tr = NULL;
  double t0 = ex_now(), dist = -1;
  symclone_status st = symclone_student_create(&s, kind, 4, k, hw, hw, pad, k * k, 1);
  if (st) {
    fprintf(stderr, "%s: student %s: %s\n", prog_name, name, symclone_strerror(st));
    return NULL;
  }
  if ((st = symclone_trainer_create(&tr, s)) ||
      (st = symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT)) ||
      (st = symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, (double)steps)) ||
      (st = symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, ex_online_cpus())) ||
      (st = symclone_trainer_run(tr)) ||
      (st = symclone_student_toeplitz_distance(s, 4, 7, &dist, NULL))) {
    const char *msg = tr && *symclone_trainer_last_error(tr) ? symclone_trainer_last_error(tr)
                                                             : symclone_student_last_error(s);
    fprintf(stderr, "%s: cloning %s failed: %s: %s\n", prog_name, name, symclone_strerror(st), msg);
    symclone_trainer_free(tr);
    symclone_student_free(s);
    return NULL;
  }
  printf("student=%s steps=%lld rel_loss=%.3g toeplitz_distance=%.3g seconds=%.1f\n", name, steps,
         symclone_trainer_rel_loss(tr), dist, ex_now() - t0);
  fflush(stdout);
  symclone_trainer_free(tr);
  return s;
}

static int xp_progress(void *user, int epoch, int epochs, long long batch, long long batches,
                       double loss, double acc, double seconds, double eta) {
  fprintf(stderr, "  [%s] epoch %d/%d batch %lld/%lld loss %.4f acc %.4f %.0fs eta %.0fs\n",
          (const char *)user, epoch, epochs, batch, batches, loss, acc, seconds, eta);
  return 0;
}

/* 1 when the images of ds are what net takes, else 0 after a message. */
static int fits_net(symclone_net *net, const char *name, const symclone_dataset *ds) {
  int shape[4];
  if (symclone_net_input_shape(net, shape) == SYMCLONE_OK && shape[0] == 1 && shape[1] == 1 &&
      shape[2] == symclone_dataset_rows(ds) && shape[3] == symclone_dataset_cols(ds))
    return 1;
  fprintf(stderr, "%s: %s takes %dx%d inputs; the images are %dx%d\n", prog_name, name, shape[2],
          shape[3], symclone_dataset_rows(ds), symclone_dataset_cols(ds));
  return 0;
}

double ex_xp_train(symclone_net *net, const char *name, const symclone_dataset *train,
                   long long epochs, double lr, long long seed) {
  double t0 = ex_now();
  if (!fits_net(net, name, train)) return -1;
  if (symclone_net_set(net, SYMCLONE_NET_EPOCHS, (double)epochs) ||
      symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, 32) ||
      symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, lr) ||
      symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed) ||
      symclone_net_set(net, SYMCLONE_NET_THREADS, ex_online_cpus()) ||
      symclone_net_set_progress(net, xp_progress, (void *)name) ||
      symclone_net_train(net, symclone_dataset_images(train), symclone_dataset_labels(train),
                         symclone_dataset_count(train))) {
    fprintf(stderr, "%s: %s: training failed: %s\n", prog_name, name, symclone_net_last_error(net));
    return -1;
  }
  return ex_now() - t0;
}

double ex_xp_accuracy(symclone_net *net, const symclone_dataset *ds) {
  double acc = -1;
  if (!fits_net(net, "the network", ds)) return -1;
  if (symclone_net_evaluate(net, symclone_dataset_images(ds), symclone_dataset_labels(ds),
                            symclone_dataset_count(ds), &acc, NULL, NULL)) {
    fprintf(stderr, "%s: evaluation failed: %s\n", prog_name, symclone_net_last_error(net));
    return -1;
  }
  return acc;
}

ex_rot_geom ex_rot_geom_for(const ex_xp_opts *o, int classes) {
  ex_rot_geom g = {o->quick ? 14 : 28,
                   3,
                   o->quick ? SYMCLONE_PADDING_VALID : SYMCLONE_PADDING_ZERO,
                   !o->quick,
                   o->quick ? 6 : 8,
                   32,
                   classes,
                   0,
                   0};
  return g;
}

ex_rot_geom ex_refl_geom_for(const ex_xp_opts *o, int classes) {
  ex_rot_geom g = ex_rot_geom_for(o, classes);
  g.cnn_channels = 2 * g.channels;
  g.channels = o->quick ? 4 : 6;
  g.dihedral = 1;
  return g;
}

/* splitmix64: the draws of the reflection experiments' transforms. */
static unsigned long long next_draw(unsigned long long *state) {
  unsigned long long z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Image i transformed by D4 element elements[i], labelled label +
 * shift[i]; classes in the result.  0, or 1 after a message. */
static int transform_d4(const symclone_dataset *ds, const int *elements, const int *shift,
                        int classes, symclone_dataset **out) {
  size_t count = symclone_dataset_count(ds);
  int rows = symclone_dataset_rows(ds), cols = symclone_dataset_cols(ds);
  size_t px = (size_t)rows * cols;
  const float *in = symclone_dataset_images(ds);
  const int *lab = symclone_dataset_labels(ds);
  float *im = malloc(count * px * sizeof *im);
  int *labels = malloc(count * sizeof *labels);
  symclone_group *d4 = NULL;
  symclone_status st = im && labels ? symclone_group_create_dihedral(&d4, 4) : SYMCLONE_ERR_NOMEM;
  for (size_t i = 0; i < count && !st; i++) {
    st = symclone_group_act_planar(d4, elements[i], 1, rows, cols, in + i * px, im + i * px);
    labels[i] = lab[i] + shift[i];
  }
  if (!st) st = symclone_dataset_create(out, count, rows, cols, classes, im, labels);
  if (st)
    fprintf(stderr, "%s: cannot transform the images: %s%s%s\n", prog_name, symclone_strerror(st),
            d4 && *symclone_group_last_error(d4) ? ": " : "",
            d4 ? symclone_group_last_error(d4) : "");
  symclone_group_free(d4);
  free(im);
  free(labels);
  return st != SYMCLONE_OK;
}

/* mode 0: every image mirrored; 1: a random element of D4; 2: the mirror
 * task. */
static int d4_dataset(const symclone_dataset *ds, int mode, unsigned long long seed,
                      symclone_dataset **out) {
  size_t count = symclone_dataset_count(ds);
  int classes = symclone_dataset_num_classes(ds);
  size_t n = count ? count : 1;
  int *el = malloc(n * sizeof *el), *shift = calloc(n, sizeof *shift);
  if (!el || !shift) {
    fprintf(stderr, "%s: out of memory for %zu images\n", prog_name, count);
    free(el);
    free(shift);
    return 1;
  }
  unsigned long long state = seed;
  for (size_t i = 0; i < count; i++) {
    if (mode == 0) {
      el[i] = 4; /* M: the mirror about the vertical axis */
    } else if (mode == 1) {
      el[i] = (int)(next_draw(&state) >> 61); /* 0..7 */
    } else {
      int m = (int)(next_draw(&state) >> 63);
      el[i] = 4 * m;
      shift[i] = m * classes;
    }
  }
  int rc = transform_d4(ds, el, shift, mode == 2 ? 2 * classes : classes, out);
  free(el);
  free(shift);
  return rc;
}

int ex_xp_mirror(const symclone_dataset *ds, symclone_dataset **out) {
  return d4_dataset(ds, 0, 0, out);
}

int ex_xp_d4_random(const symclone_dataset *ds, unsigned long long seed, symclone_dataset **out) {
  return d4_dataset(ds, 1, seed, out);
}

int ex_xp_mirror_task(const symclone_dataset *ds, unsigned long long seed,
                      symclone_dataset **out) {
  return d4_dataset(ds, 2, seed, out);
}

double ex_xp_logit_change(symclone_net *net, const symclone_dataset *a, const symclone_dataset *b) {
  size_t count = symclone_dataset_count(a), px = (size_t)symclone_dataset_rows(a) *
                                                   symclone_dataset_cols(a);
  size_t nc = symclone_net_output_size(net), chunk = 256;
  if (!fits_net(net, "the network", a) || !fits_net(net, "the network", b)) return -1;
  if (symclone_dataset_count(b) != count) {
    fprintf(stderr, "%s: %zu and %zu images do not pair up\n", prog_name, count,
            symclone_dataset_count(b));
    return -1;
  }
  float *ya = malloc(chunk * nc * sizeof *ya), *yb = malloc(chunk * nc * sizeof *yb);
  double num = 0, den = 0;
  symclone_status st = ya && yb ? SYMCLONE_OK : SYMCLONE_ERR_NOMEM;
  for (size_t i = 0; i < count && !st; i += chunk) {
    size_t n = count - i < chunk ? count - i : chunk;
    if ((st = symclone_net_forward(net, n, symclone_dataset_images(a) + i * px, ya)) ||
        (st = symclone_net_forward(net, n, symclone_dataset_images(b) + i * px, yb)))
      break;
    for (size_t j = 0; j < n * nc; j++) {
      double d = (double)ya[j] - (double)yb[j];
      num += d * d;
      den += (double)ya[j] * ya[j];
    }
  }
  free(ya);
  free(yb);
  if (st) {
    fprintf(stderr, "%s: forward pass failed: %s (%s)\n", prog_name, symclone_net_last_error(net),
            symclone_strerror(st));
    return -1;
  }
  return den > 0 ? sqrt(num / den) : 0.0;
}

int ex_rot_clone(const ex_rot_geom *g, long long lift_steps, long long group_steps,
                 ex_rot_students *st) {
  /* the grids of the first and second group convolutions */
  int a = g->lift_pad == SYMCLONE_PADDING_VALID ? g->hw - g->lift_k + 1 : g->hw;
  if (g->pool_first) a /= 2;
  int b = a / 2;
  symclone_student_kind lk = g->dihedral ? SYMCLONE_STUDENT_DIHEDRAL_LIFTING
                                          : SYMCLONE_STUDENT_LIFTING;
  symclone_student_kind gk = g->dihedral ? SYMCLONE_STUDENT_DIHEDRAL_GROUP : SYMCLONE_STUDENT_GROUP;
  st->lift = ex_xp_clone("lifting", lk, g->lift_k, g->hw, g->lift_pad, lift_steps);
  st->group_a =
      st->lift ? ex_xp_clone("group_a", gk, 3, a, SYMCLONE_PADDING_ZERO, group_steps) : NULL;
  st->group_b =
      st->group_a ? ex_xp_clone("group_b", gk, 3, b, SYMCLONE_PADDING_ZERO, group_steps) : NULL;
  if (st->group_b) return 0;
  ex_rot_free(st);
  return 1;
}

void ex_rot_free(ex_rot_students *st) {
  symclone_student_free(st->lift);
  symclone_student_free(st->group_a);
  symclone_student_free(st->group_b);
  st->lift = st->group_a = st->group_b = NULL;
}

symclone_net *ex_rot_model(const ex_rot_geom *g, const char *kind, const ex_rot_students *st,
                           symclone_clone_mode mode, double beta, long long seed) {
  symclone_net *net = NULL;
  if (symclone_net_create(&net, 1, 1, g->hw, g->hw)) {
    fprintf(stderr, "%s: cannot create a network for %dx%d inputs\n", prog_name, g->hw, g->hw);
    return NULL;
  }
  EX_NET_TRY(symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed));
  int c = g->channels;
  if (!strcmp(kind, "mlp")) {
    EX_NET_TRY(symclone_net_add_dense(net, 4 * g->hidden, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
    EX_NET_TRY(symclone_net_add_dense(net, g->hidden, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
    EX_NET_TRY(symclone_net_add_dense(net, g->classes, 1));
    return net;
  }
  int planar = !strcmp(kind, "cnn");
  if (planar) c = g->cnn_channels ? g->cnn_channels : 2 * c;
  for (int layer = 0; layer < 4; layer++) {
    if (st)
      EX_NET_TRY(symclone_net_add_cloned(net,
                                         layer == 0   ? st->lift
                                         : layer == 1 ? st->group_a
                                                      : st->group_b,
                                         c, mode, beta));
    else if (planar)
      EX_NET_TRY(symclone_net_add_conv2d(net, c, layer ? 3 : g->lift_k,
                                         layer ? SYMCLONE_PADDING_ZERO : g->lift_pad, 1));
    else if (layer == 0 && g->dihedral)
      EX_NET_TRY(symclone_net_add_dihedral_lifting(net, 4, c, g->lift_k, g->lift_pad, 1));
    else if (layer == 0)
      EX_NET_TRY(symclone_net_add_lifting(net, 4, c, g->lift_k, g->lift_pad, 1));
    else if (g->dihedral)
      EX_NET_TRY(symclone_net_add_dihedral_group_conv(net, c, 3, SYMCLONE_PADDING_ZERO, 1));
    else
      EX_NET_TRY(symclone_net_add_group_conv(net, c, 3, SYMCLONE_PADDING_ZERO, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
    if ((layer == 0 && g->pool_first) || layer == 1) EX_NET_TRY(symclone_net_add_maxpool2(net));
  }
  if (!planar) EX_NET_TRY(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX));
  EX_NET_TRY(symclone_net_add_global_avgpool(net));
  EX_NET_TRY(symclone_net_add_dense(net, g->hidden, 1));
  EX_NET_TRY(symclone_net_add_relu(net));
  EX_NET_TRY(symclone_net_add_dense(net, g->classes, 1));
  return net;
}

int ex_trans_task(const symclone_dataset *train0, const symclone_dataset *test0,
                  symclone_dataset **train, symclone_dataset **test) {
  if (symclone_dataset_make_translation_task(train0, 48, 5, 15, 15, 1, NULL, train) ||
      symclone_dataset_make_translation_task(test0, 48, 5, 15, 15, 2, NULL, test)) {
    fprintf(stderr, "%s: %s%s\n", prog_name, symclone_dataset_last_error(train0),
            symclone_dataset_last_error(test0));
    return 1;
  }
  return ex_xp_downsample(train) || ex_xp_downsample(test);
}

symclone_net *ex_trans_model(const char *kind, symclone_student *st, int hw, int c,
                             symclone_clone_mode mode, double beta, long long seed) {
  symclone_net *net = NULL;
  if (symclone_net_create(&net, 1, 1, hw, hw)) {
    fprintf(stderr, "%s: cannot create a network for %dx%d inputs\n", prog_name, hw, hw);
    return NULL;
  }
  EX_NET_TRY(symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed));
  if (!strcmp(kind, "mlp")) {
    EX_NET_TRY(symclone_net_add_dense(net, 128, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
    EX_NET_TRY(symclone_net_add_dense(net, 32, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
    EX_NET_TRY(symclone_net_add_dense(net, 20, 1));
    return net;
  }
  for (int layer = 0; layer < 3; layer++) {
    if (st)
      EX_NET_TRY(symclone_net_add_cloned(net, st, c, mode, beta));
    else
      EX_NET_TRY(symclone_net_add_conv2d(net, c, 3, SYMCLONE_PADDING_CIRCULAR, 1));
    EX_NET_TRY(symclone_net_add_relu(net));
  }
  EX_NET_TRY(symclone_net_add_global_avgpool(net));
  EX_NET_TRY(symclone_net_add_dense(net, 32, 1));
  EX_NET_TRY(symclone_net_add_relu(net));
  EX_NET_TRY(symclone_net_add_dense(net, 20, 1));
  return net;
}

const char *const ex_refl_names[EX_REFL_MODELS] = {"gcnn", "cloned_gcnn_retain",
                                                   "cloned_gcnn_break", "cnn", "mlp"};

int ex_refl_clone(const ex_rot_geom *g, const ex_xp_opts *o, ex_rot_students *st) {
  if (!ex_xp_wants(o, 1) && !ex_xp_wants(o, 2)) return 0;
  return ex_rot_clone(g, o->clone_steps ? o->clone_steps : 3000,
                      o->clone_steps ? o->clone_steps : 2000, st);
}

symclone_net *ex_refl_model(const ex_rot_geom *g, const ex_xp_opts *o, const ex_rot_students *st,
                            int m) {
  const char *kind = m == 3 ? "cnn" : m == 4 ? "mlp" : "gcnn";
  return ex_rot_model(g, kind, (m == 1 || m == 2) ? st : NULL,
                      m == 2 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, o->beta, o->seed + 1);
}
