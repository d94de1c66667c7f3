/* symclone clone: train a student on a teacher family and save it. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

enum { KIND_PLANAR, KIND_LIFTING, KIND_GROUP, KIND_DLIFTING, KIND_DGROUP };

/* "T2", "Cn" or "Dn" (any case), n in [1, 360]: 't', 'c' or 'd' and n. */
static int parse_group(const char *s, char *family, int *n) {
  char f = (char)tolower((unsigned char)s[0]);
  if (f == 't' && !strcmp(s + 1, "2")) {
    *family = 't';
    *n = 1;
    return 0;
  }
  if ((f != 'c' && f != 'd') || !s[1] || strlen(s + 1) > 3) goto bad;
  for (const char *p = s + 1; *p; p++)
    if (!isdigit((unsigned char)*p)) goto bad;
  *n = atoi(s + 1);
  if (*n < 1 || *n > 360)
    return tool_usage_error("--group: %s: n is outside [1, 360]", s);
  *family = f;
  return 0;
bad:
  return tool_usage_error("--group: '%s' is not T2, Cn or Dn (n in [1, 360])", s);
}

/* One side of --size: digits only; 0 when it is not, else its value
 * (capped: a long number is out of range anyway). */
static long side(const char *p, size_t n) {
  if (n == 0) return 0;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)p[i])) return 0;
    if (v < 100000000) v = v * 10 + (p[i] - '0');
  }
  return v ? v : -1;
}

/* "N" or "HxW", each in [1, 1024]. */
static int parse_size(const char *s, int *h, int *w) {
  const char *x = strchr(s, 'x');
  size_t la = x ? (size_t)(x - s) : strlen(s);
  long hv = side(s, la), wv = x ? side(x + 1, strlen(x + 1)) : hv;
  if (hv == 0 || wv == 0)
    return tool_usage_error("--size: '%s' is not N or HxW (whole numbers)", s);
  if (hv < 1 || hv > 1024 || wv < 1 || wv > 1024)
    return tool_usage_error("--size: %s is outside [1, 1024] (each side)", s);
  *h = (int)hv;
  *w = (int)wv;
  return 0;
}

/* Refuse early an output path that names something other than a regular
 * file (the library refuses it too, but only after the training). */
static int check_output(const char *what, const char *path) {
  struct stat sb;
  if (stat(path, &sb) == 0) {
    if (!S_ISREG(sb.st_mode))
      return tool_fail("%s %s: not a regular file (a directory, a FIFO or a device); not "
                       "replacing it (%s)",
                       what, path, symclone_strerror(SYMCLONE_ERR_PATH));
    /* the library's writer refuses a file without any write bit, even for root */
    if (access(path, W_OK) != 0 || !(sb.st_mode & 0222))
      return tool_fail("%s %s: the file may not be written (%s)", what, path,
                       strerror(EACCES));
    return 0;
  }
  char dir[4096];
  if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir)
    return tool_fail("%s %s: the path is too long", what, path);
  const char *d = dirname(dir);
  if (access(d, W_OK | X_OK) != 0)
    return tool_fail("%s %s: cannot create a file in %s: %s", what, path, d, strerror(errno));
  return 0;
}

static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (!strcmp(a, b)) return 1;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

/* The curve goes to a temporary file beside its path, renamed into place
 * when complete. */
typedef struct curve_file {
  FILE *f;
  char tmp[4096];
} curve_file;

static int curve_open(curve_file *c, const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  const char *d = dirname(dir);
  char base[4096];
  snprintf(base, sizeof base, "%s", path);
  const char *b = basename(base);
  if ((size_t)snprintf(c->tmp, sizeof c->tmp, "%s/.%s.symclone-tmp-XXXXXX", d, b) >=
      sizeof c->tmp)
    return tool_fail("--curve %s: the path is too long", path);
  int fd = mkstemp(c->tmp);
  if (fd < 0) return tool_fail("--curve %s: %s", path, strerror(errno));
  c->f = fdopen(fd, "w");
  if (!c->f) {
    int e = errno;
    close(fd);
    unlink(c->tmp);
    return tool_fail("--curve %s: %s", path, strerror(e));
  }
  fprintf(c->f, "step,seconds,rel_loss,toeplitz_rel_dist\n");
  return 0;
}

static int curve_close(curve_file *c, const char *path, int keep) {
  if (!c->f) return 0;
  int bad = fflush(c->f) != 0 || ferror(c->f) || fsync(fileno(c->f)) != 0;
  int e = errno;
  bad |= fclose(c->f) != 0;
  c->f = NULL;
  if (!keep || bad) {
    unlink(c->tmp);
    return bad && keep ? tool_fail("--curve %s: %s", path, strerror(e)) : 0;
  }
  mode_t mask = umask(0);
  umask(mask);
  chmod(c->tmp, 0666 & ~mask);
  if (rename(c->tmp, path) != 0) {
    e = errno;
    unlink(c->tmp);
    return tool_fail("--curve %s: %s", path, strerror(e));
  }
  return 0;
}

/* The group of a restriction, its listing (--list-subspaces: printed) and
 * the indices of --subspaces with their total dimension.  Returns -1 to go
 * on (*group made), else the exit status. */
static int restriction_args(char family, int n, int kernel, const char *list, int print,
                            int json, int *sub, int *n_sub, int *dims, symclone_group **group) {
  symclone_status st = family == 'd' ? symclone_group_create_dihedral(group, n)
                                     : symclone_group_create_cyclic(group, n);
  int count = 0;
  if (!st) st = symclone_group_subspace_count(*group, kernel, &count);
  if (st == SYMCLONE_ERR_UNSUPPORTED)
    return tool_usage_error("the invariant subspaces are listed for C1, C2, C4, D1, D2 and D4 "
                            "only, not %c%d",
                            family == 'd' ? 'D' : 'C', n);
  if (st == SYMCLONE_ERR_KERNEL)
    return tool_usage_error("the invariant subspaces are listed for kernels up to 31");
  if (st) return tool_fail("the invariant subspaces: %s", symclone_strerror(st));
  if (print) {
    if (json) printf("{\"group\": \"%c%d\", \"kernel\": %d, \"subspaces\": [",
                     family == 'd' ? 'D' : 'C', n, kernel);
    for (int i = 0; i < count; i++) {
      int dim = 0, orbit = 0;
      char name[128] = "";
      if (symclone_group_subspace_info(*group, kernel, i, &dim, &orbit, name, sizeof name))
        return tool_fail("the invariant subspace %d: %s", i, symclone_group_last_error(*group));
      if (json)
        printf("%s{\"index\": %d, \"dim\": %d, \"orbit\": %d, \"name\": \"%s\"}",
               i ? ", " : "", i, dim, orbit, name);
      else
        printf("subspace=%d dim=%d orbit=%d name=%s\n", i, dim, orbit, name);
    }
    if (json) printf("]}\n");
    return fflush(stdout) ? tool_fail("writing to stdout failed") : TOOL_OK;
  }
  /* I[,J...]: distinct indices of the listing */
  const char *p = list;
  *n_sub = 0;
  *dims = 0;
  for (;;) {
    size_t w = strcspn(p, ",");
    long v = 0;
    if (w == 0 || w > 4) goto bad;
    for (size_t i = 0; i < w; i++) {
      if (!isdigit((unsigned char)p[i])) goto bad;
      v = v * 10 + (p[i] - '0');
    }
    if (v >= count)
      return tool_usage_error("--subspaces: %ld is not a subspace of %c%d for %dx%d filters "
                              "(0 to %d; --list-subspaces)",
                              v, family == 'd' ? 'D' : 'C', n, kernel, kernel, count - 1);
    for (int j = 0; j < *n_sub; j++)
      if (sub[j] == (int)v) return tool_usage_error("--subspaces: %ld is given twice", v);
    if (*n_sub == 1024) goto bad;
    int dim = 0;
    symclone_group_subspace_info(*group, kernel, (int)v, &dim, NULL, NULL, 0);
    sub[(*n_sub)++] = (int)v;
    *dims += dim;
    if (!p[w]) break;
    p += w + 1;
  }
  return -1;
bad:
  return tool_usage_error("--subspaces: '%s' is not a comma-separated list of subspace indices",
                          list);
}

static int online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int cmd_clone(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("clone");
  const char *group_s = NULL, *size_s = NULL, *output = NULL, *curve_path = NULL;
  const char *subspaces_s = NULL;
  int kind = -1, padding = 0, objective = 0, schedule = 0, list_subspaces = 0;
  long long kernel = 3, blocks = 0, steps = 600, kernels = 16, inputs = 64, seed = 0;
  long long threads = online_cpus();
  double lr = 1e-2, target = 0;
  tool_common c = {0, 0};
  const tool_opt opts[] = {
      {"--group", NULL, OPT_TEXT, &group_s, "G", 0, 0, 0, 0, NULL,
       "the teacher's group: T2 (translations; planar students), Cn\n"
       "(rotations) or Dn (rotations and reflections), n in [1, 360];\n"
       "default C4, or D4 for a dihedral --kind, T2 for planar"},
      {"--kind", NULL, OPT_CHOICE, &kind, NULL, 0, 0, 0, 0,
       "planar|lifting|group|dihedral-lifting|dihedral-group",
       "the teacher family: conv2d (planar), lifting Z2 -> G, group\n"
       "convolution G -> G; with Dn, lifting and group mean the dihedral\n"
       "kinds (default lifting; planar with T2)"},
      {"--kernel", NULL, OPT_INT, &kernel, "K", 1, 1023, 0, 0, NULL,
       "odd kernel size, at most the input's sides (default 3)"},
      {"--size", NULL, OPT_TEXT, &size_s, "N|HxW", 0, 0, 0, 0, NULL,
       "input height and width, each in [1, 1024] (default 28)"},
      {"--padding", NULL, OPT_CHOICE, &padding, NULL, 0, 0, 0, 0, "valid|zero|circular",
       "the teacher's padding (default valid)"},
      {"--blocks", NULL, OPT_INT, &blocks, "B", 1, 4096, 0, 0, NULL,
       "dense blocks of the student (default K*K, which admits the\n"
       "exact solution)"},
      {"--objective", NULL, OPT_CHOICE, &objective, NULL, 0, 0, 0, 0, "moment|unit|stochastic",
       "moment: the second-moment objective (default; no sampling);\n"
       "unit: the P unit kernels every step; stochastic: K random\n"
       "kernels and N Gaussian inputs a step"},
      {"--steps", NULL, OPT_INT, &steps, "N", 1, 1e9, 0, SYMCLONE_TRAINER_MAX_STEPS, NULL,
       "updates (default 600)"},
      {"--lr", NULL, OPT_REAL, &lr, "X", 0, 0, 1, SYMCLONE_TRAINER_LEARNING_RATE, NULL,
       "learning rate of AdamW (default 0.01)"},
      {"--schedule", NULL, OPT_CHOICE, &schedule, NULL, 0, 0, 0, 0, "cosine|constant",
       "cosine: the rate held for 70 % of the steps, then a cosine\n"
       "decay to zero (default); constant: held throughout"},
      {"--kernels", NULL, OPT_INT, &kernels, "K", 0, 0, 0, SYMCLONE_TRAINER_KERNELS, NULL,
       "random kernels a step, stochastic objective (default 16)"},
      {"--inputs", NULL, OPT_INT, &inputs, "N", 0, 0, 0, SYMCLONE_TRAINER_INPUTS, NULL,
       "Gaussian inputs a step, stochastic objective (default 64)"},
      {"--target", NULL, OPT_REAL, &target, "X", 0, 0, 0, SYMCLONE_TRAINER_TARGET_REL_LOSS, NULL,
       "stop once the relative loss is surely at most X (default 0: off)"},
      {"--seed", NULL, OPT_INT, &seed, "S", 0, 0, 0, SYMCLONE_TRAINER_SEED, NULL,
       "seed of the student's initialisation and of the trainer (default 0)"},
      {"--threads", NULL, OPT_INT, &threads, "N", 0, 0, 0, SYMCLONE_TRAINER_THREADS, NULL,
       "threads of the trainer's own passes (default: the processors\n"
       "online); the figures do not depend on it"},
      {"--subspaces", NULL, OPT_TEXT, &subspaces_s, "I[,J...]", 0, 0, 0, 0, NULL,
       "restrict the blocks to these invariant filter subspaces of the group\n"
       "(--list-subspaces), which keeps the student equivariant; --blocks\n"
       "defaults to the sum of their dimensions (C1, C2, C4, D1, D2, D4)"},
      {"--list-subspaces", NULL, OPT_FLAG, &list_subspaces, NULL, 0, 0, 0, 0, NULL,
       "print the invariant subspaces of the K x K filters under the group\n"
       "(index, dimension, orbit, name) and exit"},
      {"--output", "-o", OPT_TEXT, &output, "FILE", 0, 0, 0, 0, NULL,
       "where the student is saved (required); replaced in one step,\n"
       "never over anything but a regular file"},
      {"--curve", NULL, OPT_TEXT, &curve_path, "FILE", 0, 0, 0, 0, NULL,
       "the training curve as CSV: step, seconds, relative loss and the\n"
       "Toeplitz distance (one draw; empty for large students)"},
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "the figures as one JSON object on stdout"},
      {"--quiet", "-q", OPT_FLAG, &c.quiet, NULL, 0, 0, 0, 0, NULL, "no progress on stderr"},
  };
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, NULL);
  if (rc >= 0) return rc;

  char family = 'c';
  int n = 4, height = 28, width = 28;
  if (group_s) {
    if (parse_group(group_s, &family, &n)) return TOOL_USAGE;
  } else if (kind == KIND_PLANAR) {
    family = 't';
  } else if (kind == KIND_DLIFTING || kind == KIND_DGROUP) {
    family = 'd';
  }
  if (size_s && parse_size(size_s, &height, &width)) return TOOL_USAGE;
  if (!output && !list_subspaces)
    return tool_usage_error("-o FILE is required (where the student goes)");
  symclone_student_kind sk;
  if (family == 't') {
    if (kind != -1 && kind != KIND_PLANAR)
      return tool_usage_error("--group T2 clones planar convolutions: --kind planar");
    sk = SYMCLONE_STUDENT_PLANAR;
    n = 1;
  } else if (kind == KIND_PLANAR) {
    return tool_usage_error("--kind planar clones conv2d, whose group is T2, not %s", group_s);
  } else if (family == 'c') {
    if (kind == KIND_DLIFTING || kind == KIND_DGROUP)
      return tool_usage_error("--kind %s needs a dihedral group (Dn), not %s",
                              kind == KIND_DLIFTING ? "dihedral-lifting" : "dihedral-group",
                              group_s);
    sk = kind == KIND_GROUP ? SYMCLONE_STUDENT_GROUP : SYMCLONE_STUDENT_LIFTING;
  } else {
    sk = kind == KIND_GROUP || kind == KIND_DGROUP ? SYMCLONE_STUDENT_DIHEDRAL_GROUP
                                                   : SYMCLONE_STUDENT_DIHEDRAL_LIFTING;
  }
  if (kernel % 2 == 0) return tool_usage_error("--kernel: %lld is not odd", kernel);
  if (kernel > height || kernel > width)
    return tool_usage_error("--kernel: %lld is larger than the %dx%d input", kernel, height,
                            width);
  if (curve_path && output && same_file(curve_path, output))
    return tool_usage_error("--curve and -o name the same file, %s", output);
  int sub[1024], n_sub = 0;
  symclone_group *rg = NULL; /* the group of the restriction */
  if (list_subspaces || subspaces_s) {
    if (sk == SYMCLONE_STUDENT_PLANAR)
      return tool_usage_error("--%s: give the group of the rotations, Cn or Dn (the tool "
                              "restricts lifting and group students)",
                              list_subspaces ? "list-subspaces" : "subspaces");
    int dims = 0;
    rc = restriction_args(family, n, (int)kernel, subspaces_s, list_subspaces, c.json, sub,
                          &n_sub, &dims, &rg);
    if (rc >= 0 || list_subspaces) {
      symclone_group_free(rg);
      return rc >= 0 ? rc : TOOL_OK;
    }
    if (blocks && blocks != dims) {
      symclone_group_free(rg);
      return tool_usage_error("--blocks %lld: the subspaces %s add up to %d dimensions",
                              blocks, subspaces_s, dims);
    }
    blocks = dims;
  }
  if (!blocks) blocks = kernel * kernel;
  static const symclone_objective objectives[3] = {
      SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OBJECTIVE_UNIT_KERNELS, SYMCLONE_OBJECTIVE_STOCHASTIC};
  static const symclone_padding paddings[3] = {SYMCLONE_PADDING_VALID, SYMCLONE_PADDING_ZERO,
                                               SYMCLONE_PADDING_CIRCULAR};
  static const char *const objective_names[3] = {"moment", "unit", "stochastic"};

  /* what the student and the optimizer need, before anything is made */
  int orient = family == 'd' ? 2 * n : family == 'c' ? n : 1;
  int out_n = sk == SYMCLONE_STUDENT_PLANAR ? 1 : orient;
  int ho = padding == 0 ? height - (int)kernel + 1 : height;
  int wo = padding == 0 ? width - (int)kernel + 1 : width;
  int in_n = sk == SYMCLONE_STUDENT_GROUP || sk == SYMCLONE_STUDENT_DIHEDRAL_GROUP ? orient : 1;
  double floats = (double)blocks * ho * wo * height * width;
  double bytes = 4.0 * 4.0 * floats + 8.0 * (double)out_n * ho * wo * in_n * height * width;
  double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  if (phys > 0 && bytes > phys) {
    symclone_group_free(rg);
    return tool_fail("a %s student of %lld blocks on %dx%d inputs needs about %.1f GiB; the "
                     "machine has %.1f GiB",
                     tool_kind_name(sk), blocks, height, width, bytes / 1073741824.0,
                     phys / 1073741824.0);
  }
  if (check_output("-o", output) || (curve_path && check_output("--curve", curve_path))) {
    symclone_group_free(rg);
    return TOOL_FAIL;
  }

  symclone_student *s = NULL;
  symclone_trainer *tr = NULL;
  curve_file curve = {NULL, ""};
  rc = TOOL_FAIL;
  symclone_status st = symclone_student_create(&s, sk, n, (int)kernel, height, width,
                                               paddings[padding], (int)blocks, (uint64_t)seed);
  if (st) {
    rc = tool_fail("cannot create the student: %s", symclone_strerror(st));
    goto done;
  }
  if (rg && (st = symclone_student_restrict(s, rg, sub, n_sub))) {
    rc = tool_fail("--subspaces %s: %s (%s)", subspaces_s, symclone_student_last_error(s),
                   symclone_strerror(st));
    goto done;
  }
  if ((st = symclone_trainer_create(&tr, s))) {
    rc = tool_fail("cannot create the trainer: %s", symclone_strerror(st));
    goto done;
  }
  tool_progress p = {0};
  p.mode = c.quiet ? 0 : isatty(fileno(stderr)) ? 1 : 2;
  p.total = steps;
  p.line_every = steps >= 10 ? steps / 10 : 1;
  p.next_line = p.line_every;
  p.next_curve = steps >= 200 ? steps / 200 : 1;
  p.student = s;
  p.curve_toeplitz = (double)symclone_student_output_size(s) *
                         (double)symclone_student_input_size(s) <=
                     4194304.0;
  if (curve_path) {
    if (curve_open(&curve, curve_path)) goto done;
    p.curve = curve.f;
  }
  long long hold = schedule == 0 ? steps * 7 / 10 : 0;
  if (!(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, objectives[objective])) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_LEARNING_RATE, lr)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, (double)kernels)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, (double)inputs)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, (double)seed)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, (double)threads)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_SCHEDULE,
                                  schedule == 0 ? SYMCLONE_SCHEDULE_COSINE
                                                : SYMCLONE_SCHEDULE_CONSTANT)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_HOLD_STEPS, (double)hold)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, (double)steps)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_TARGET_REL_LOSS, target)) &&
      !(st = symclone_trainer_set(tr, SYMCLONE_TRAINER_PROGRESS_EVERY,
                                  (double)progress_every(&p))))
    st = symclone_trainer_set_progress(tr, progress_callback, &p);
  if (!st) {
    progress_catch_signals();
    st = symclone_trainer_run(tr);
  }
  progress_done(&p);
  if (st == SYMCLONE_ERR_CANCELLED && progress_stop) {
    rc = tool_fail("interrupted at step %lld; %s not written", symclone_trainer_steps_done(tr),
                   output);
    goto done;
  }
  if (st) {
    rc = tool_fail("training failed: %s (%s)", symclone_trainer_last_error(tr),
                   symclone_strerror(st));
    goto done;
  }
  if (p.curve_error) {
    rc = tool_fail("--curve %s: writing failed", curve_path);
    goto done;
  }
  if ((st = symclone_student_save(s, output))) {
    rc = tool_fail("%s (%s)", symclone_student_last_error(s), symclone_strerror(st));
    goto done;
  }
  if (curve_path && curve_close(&curve, curve_path, 1)) goto done;

  double rel = NAN, dist = NAN, per[720];
  int out_shape[4];
  symclone_student_output_shape(s, out_shape);
  if ((st = symclone_student_relative_loss(s, &rel)) ||
      (st = symclone_student_toeplitz_distance(s, TOOL_DIST_DRAWS, TOOL_DIST_SEED, &dist, per))) {
    rc = tool_fail("cannot measure the student: %s (%s)", symclone_student_last_error(s),
                   symclone_strerror(st));
    goto done;
  }
  out_begin(c.json);
  out_str("file", output);
  out_str("format", "student");
  tool_out_geometry(s);
  tool_out_restriction(s);
  out_str("objective", objective_names[objective]);
  out_int("steps", symclone_trainer_steps_done(tr));
  out_num("lr", lr);
  out_int("seed", seed);
  out_num("seconds", symclone_trainer_seconds(tr));
  out_num("train_rel_loss", symclone_trainer_rel_loss(tr));
  out_num("rel_loss", rel);
  out_num("toeplitz_rel_dist", dist);
  if (out_shape[1] > 1)
    out_nums("toeplitz_rel_dist_per_orientation", "toeplitz_rel_dist", per, out_shape[1]);
  if (curve_path) out_str("curve", curve_path);
  rc = out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
done:
  symclone_group_free(rg);
  if (curve.f) curve_close(&curve, curve_path, 0);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  if (progress_stop) {
    /* end as the signal ends a program, for the shell to see */
    int sig = progress_stop;
    signal(sig, SIG_DFL);
    raise(sig);
  }
  return rc;
}
