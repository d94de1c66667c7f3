/* Shared plumbing of the downstream experiments: options, data, cloning
 * the students, training a model and timing it.  Each experiment program
 * stays readable top to bottom; this header holds what they have in
 * common. */
#ifndef SYMCLONE_EXAMPLES_NET_UTIL_H
#define SYMCLONE_EXAMPLES_NET_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <symclone/symclone.h>

#ifndef SYMCLONE_SOURCE_ROOT
#define SYMCLONE_SOURCE_ROOT "."
#endif

typedef struct xp_opts {
  int quick, fashion;
  const char *images, *labels;           /* MNIST-format training (or only) files */
  const char *test_images, *test_labels; /* a separate test pair (Fashion-MNIST, full MNIST) */
  long train_count, epochs;              /* 0: the mode's default */
  double beta;                           /* break penalty */
  unsigned long seed;
} xp_opts;

static inline void xp_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s [--quick] [--fashion] [--images F --labels F] [--test-images F --test-labels F]\n"
          "          [--train N] [--epochs N] [--beta B] [--seed S]\n"
          "MNIST digits come from $SYMCLONE_DATA_DIR or data/mnist of the source tree\n"
          "(scripts/fetch-mnist); --fashion uses /usr/share/datasets/fashion-mnist.\n",
          prog);
}

static inline int xp_parse(int argc, char **argv, xp_opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--quick")) o->quick = 1;
    else if (!strcmp(a, "--fashion")) o->fashion = 1;
    else if (v && !strcmp(a, "--images")) o->images = argv[++i];
    else if (v && !strcmp(a, "--labels")) o->labels = argv[++i];
    else if (v && !strcmp(a, "--test-images")) o->test_images = argv[++i];
    else if (v && !strcmp(a, "--test-labels")) o->test_labels = argv[++i];
    else if (v && !strcmp(a, "--train")) o->train_count = atol(argv[++i]);
    else if (v && !strcmp(a, "--epochs")) o->epochs = atol(argv[++i]);
    else if (v && !strcmp(a, "--beta")) o->beta = atof(argv[++i]);
    else if (v && !strcmp(a, "--seed")) o->seed = strtoul(argv[++i], NULL, 10);
    else {
      xp_usage(argv[0]);
      return -1;
    }
  }
  return 0;
}

/* The processors online: the trainer's threads (the BLAS counts the same
 * way for its own default). */
static inline int xp_online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static inline double xp_now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int xp_exists(const char *p) {
  FILE *f = fopen(p, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static inline symclone_dataset *xp_load_pair(const char *im, const char *lb) {
  symclone_dataset *ds = NULL;
  symclone_loader *loader = NULL;
  int st = symclone_loader_create(&loader);
  if (!st) st = symclone_dataset_load_idx(&ds, im, lb, 10, loader);
  if (st)
    fprintf(stderr, "cannot load %s / %s: %s (%s)\n", im, lb, symclone_loader_last_error(loader),
            symclone_strerror(st));
  symclone_loader_free(loader);
  return ds;
}

/* The training and test sets.  MNIST digits: the 10,000-digit set with the
 * documented split (2,000 test images, seed 0) unless a test pair is given;
 * Fashion-MNIST: its own training and test files.  Training images are
 * limited to train_count (the first ones of the set). */
static inline int xp_load(const xp_opts *o, long train_count, symclone_dataset **train,
                          symclone_dataset **test) {
  static char im[1024], lb[1024], tim[1024], tlb[1024];
  const char *images = o->images, *labels = o->labels, *ti = o->test_images, *tl = o->test_labels;
  if (o->fashion && !images) {
    const char *d = "/usr/share/datasets/fashion-mnist";
    snprintf(im, sizeof im, "%s/train-images-idx3-ubyte.gz", d);
    snprintf(lb, sizeof lb, "%s/train-labels-idx1-ubyte.gz", d);
    snprintf(tim, sizeof tim, "%s/t10k-images-idx3-ubyte.gz", d);
    snprintf(tlb, sizeof tlb, "%s/t10k-labels-idx1-ubyte.gz", d);
    images = im, labels = lb;
    if (!ti) ti = tim, tl = tlb;
  } else if (!images) {
    const char *env = getenv("SYMCLONE_DATA_DIR");
    const char *dirs[4] = {env, "data/mnist", "../data/mnist", SYMCLONE_SOURCE_ROOT "/data/mnist"};
    for (int k = 0; k < 4 && !images; k++) {
      if (!dirs[k]) continue;
      snprintf(im, sizeof im, "%s/mnist10k-images-idx3-ubyte.gz", dirs[k]);
      snprintf(lb, sizeof lb, "%s/mnist10k-labels-idx1-ubyte.gz", dirs[k]);
      if (xp_exists(im) && xp_exists(lb)) images = im, labels = lb;
    }
    if (!images) {
      fprintf(stderr, "no MNIST digits found: run scripts/fetch-mnist, set SYMCLONE_DATA_DIR "
                      "or pass --images/--labels\n");
      return -1;
    }
  }
  symclone_dataset *all = xp_load_pair(images, labels), *tr = NULL, *te = NULL;
  if (!all) return -1;
  if (ti && tl) {
    tr = all;
    te = xp_load_pair(ti, tl);
    if (!te) return -1;
    if (symclone_dataset_count(te) > 2000) {
      symclone_dataset *t2;
      if (symclone_dataset_subset(te, NULL, 2000, &t2)) return -1;
      symclone_dataset_free(te);
      te = t2;
    }
  } else {
    if (symclone_dataset_split(all, 2000, 0, &tr, &te)) return -1;
    symclone_dataset_free(all);
  }
  if (train_count > 0 && (size_t)train_count < symclone_dataset_count(tr)) {
    symclone_dataset *t2;
    if (symclone_dataset_subset(tr, NULL, (size_t)train_count, &t2)) return -1;
    symclone_dataset_free(tr);
    tr = t2;
  }
  *train = tr;
  *test = te;
  fprintf(stderr, "data: %zu training and %zu test images from %s\n", symclone_dataset_count(tr),
          symclone_dataset_count(te), images);
  return 0;
}

/* factor x factor mean pooling (an exact C4-equivariant map when the size
 * is a multiple of 2 * factor... and of factor for quarter turns on even
 * sizes). */
static inline symclone_dataset *xp_downsample(symclone_dataset *ds, int f) {
  if (f <= 1) return ds;
  size_t n = symclone_dataset_count(ds);
  int r = symclone_dataset_rows(ds), c = symclone_dataset_cols(ds), ro = r / f, co = c / f;
  float *img = malloc(n * (size_t)ro * co * sizeof *img);
  const float *src = symclone_dataset_images(ds);
  for (size_t i = 0; i < n; i++)
    for (int y = 0; y < ro; y++)
      for (int x = 0; x < co; x++) {
        float s = 0;
        for (int a = 0; a < f; a++)
          for (int b = 0; b < f; b++) s += src[(i * r + (size_t)(y * f + a)) * c + x * f + b];
        img[(i * ro + y) * co + x] = s / (float)(f * f);
      }
  symclone_dataset *out = NULL;
  symclone_dataset_create(&out, n, ro, co, symclone_dataset_num_classes(ds), img,
                          symclone_dataset_labels(ds));
  free(img);
  symclone_dataset_free(ds);
  return out;
}

/* Clone one teacher family (4 orientations for lifting and group
 * students) with the second-moment objective; prints its Toeplitz
 * distance. */
static inline symclone_student *xp_clone(const char *name, symclone_student_kind kind, int k,
                                         int hw, symclone_padding pad, long steps) {
  symclone_student *s = NULL;
  symclone_trainer *tr = NULL;
  double t0 = xp_now(), dist = -1;
  if (symclone_student_create(&s, kind, 4, k, hw, hw, pad, k * k, 1) ||
      symclone_trainer_create(&tr, s) ||
      symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT) ||
      symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, (double)steps) ||
      symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, xp_online_cpus()) ||
      symclone_trainer_run(tr) || symclone_student_toeplitz_distance(s, 4, 7, &dist, NULL)) {
    fprintf(stderr, "cloning %s failed: %s\n", name, s ? symclone_student_last_error(s) : "");
    symclone_trainer_free(tr);
    symclone_student_free(s);
    return NULL;
  }
  printf("student=%s steps=%ld rel_loss=%.3g toeplitz_distance=%.3g seconds=%.1f\n", name, steps,
         symclone_trainer_rel_loss(tr), dist, xp_now() - t0);
  fflush(stdout);
  symclone_trainer_free(tr);
  return s;
}

static inline int xp_progress(void *user, int epoch, int epochs, long long batch,
                              long long batches, double loss, double acc, double seconds,
                              double eta) {
  fprintf(stderr, "  [%s] epoch %d/%d batch %lld/%lld loss %.4f acc %.4f %.0fs eta %.0fs\n",
          (const char *)user, epoch, epochs, batch, batches, loss, acc, seconds, eta);
  return 0;
}

/* Train on `train`; returns seconds spent (negative on error). */
static inline double xp_train(symclone_net *net, const char *name, const symclone_dataset *train,
                              long epochs, double lr, unsigned long seed) {
  double t0 = xp_now();
  if (symclone_net_set(net, SYMCLONE_NET_EPOCHS, (double)epochs) ||
      symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, 32) ||
      symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, lr) ||
      symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed) ||
      symclone_net_set_progress(net, xp_progress, (void *)name) ||
      symclone_net_train(net, symclone_dataset_images(train), symclone_dataset_labels(train),
                         symclone_dataset_count(train))) {
    fprintf(stderr, "%s: training failed: %s\n", name, symclone_net_last_error(net));
    return -1;
  }
  return xp_now() - t0;
}

static inline double xp_accuracy(symclone_net *net, const symclone_dataset *ds) {
  double acc = -1;
  if (symclone_net_evaluate(net, symclone_dataset_images(ds), symclone_dataset_labels(ds),
                            symclone_dataset_count(ds), &acc, NULL, NULL))
    fprintf(stderr, "evaluation failed: %s\n", symclone_net_last_error(net));
  return acc;
}

/* Stop at the first failing call of a builder. */
#define XP_TRY(call)                                                                            \
  do {                                                                                          \
    if ((call) != SYMCLONE_OK) {                                                                \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,                     \
              symclone_net_last_error(net));                                                    \
      symclone_net_free(net);                                                                   \
      return NULL;                                                                              \
    }                                                                                           \
  } while (0)

/* ---- the models of the rotation experiments ----
 * G-CNN: lifting (k x k, valid or zero padding) - ReLU - [2x2 max-pool at full resolution]
 *        - group conv 3x3 (zero padding) - ReLU - max-pool
 *        - group conv - ReLU - group conv - ReLU
 *        - max over orientations - global average over space
 *        - dense - ReLU - dense.
 * Exactly C4-invariant on even square inputs.  The cloned G-CNN replaces
 * every convolution by a cloned layer of the student of its resolution; the
 * CNN has planar convolutions with twice the channels (about the same
 * parameter count); the MLP two hidden layers. */
typedef struct xp_rot_geom {
  int hw, lift_k, lift_pad, pool_first, channels, hidden, classes;
} xp_rot_geom;

typedef struct xp_rot_students {
  symclone_student *lift, *group_a, *group_b; /* group_a at the first group conv's size */
} xp_rot_students;

static inline int xp_rot_sizes(const xp_rot_geom *g, int *a, int *b) {
  *a = g->lift_pad == SYMCLONE_PADDING_VALID ? g->hw - g->lift_k + 1 : g->hw;
  if (g->pool_first) *a /= 2;
  *b = *a / 2;
  return 0;
}

static inline int xp_rot_clone(const xp_rot_geom *g, long lift_steps, long group_steps,
                               xp_rot_students *st) {
  int a, b;
  xp_rot_sizes(g, &a, &b);
  st->lift = xp_clone("lifting", SYMCLONE_STUDENT_LIFTING, g->lift_k, g->hw,
                      (symclone_padding)g->lift_pad,
                      lift_steps);
  st->group_a = xp_clone("group_a", SYMCLONE_STUDENT_GROUP, 3, a, SYMCLONE_PADDING_ZERO, group_steps);
  st->group_b = xp_clone("group_b", SYMCLONE_STUDENT_GROUP, 3, b, SYMCLONE_PADDING_ZERO, group_steps);
  return st->lift && st->group_a && st->group_b ? 0 : -1;
}

/* kind: "gcnn", "cnn", "mlp"; students non-NULL: the cloned G-CNN. */
static inline symclone_net *xp_rot_model(const xp_rot_geom *g, const char *kind,
                                         const xp_rot_students *st, symclone_clone_mode mode,
                                         double beta, unsigned long seed) {
  symclone_net *net = NULL;
  if (symclone_net_create(&net, 1, 1, g->hw, g->hw)) return NULL;
  XP_TRY(symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed));
  int c = g->channels;
  if (!strcmp(kind, "mlp")) {
    XP_TRY(symclone_net_add_dense(net, 4 * g->hidden, 1));
    XP_TRY(symclone_net_add_relu(net));
    XP_TRY(symclone_net_add_dense(net, g->hidden, 1));
    XP_TRY(symclone_net_add_relu(net));
    XP_TRY(symclone_net_add_dense(net, g->classes, 1));
    return net;
  }
  int planar = !strcmp(kind, "cnn");
  if (planar) c *= 2;
  for (int layer = 0; layer < 4; layer++) {
    if (st)
      XP_TRY(symclone_net_add_cloned(net, layer == 0 ? st->lift : layer == 1 ? st->group_a : st->group_b,
                                     c, mode, beta));
    else if (planar)
      XP_TRY(symclone_net_add_conv2d(net, c, layer ? 3 : g->lift_k,
                                     layer ? SYMCLONE_PADDING_ZERO : (symclone_padding)g->lift_pad, 1));
    else if (layer == 0)
      XP_TRY(symclone_net_add_lifting(net, 4, c, g->lift_k, (symclone_padding)g->lift_pad, 1));
    else
      XP_TRY(symclone_net_add_group_conv(net, c, 3, SYMCLONE_PADDING_ZERO, 1));
    XP_TRY(symclone_net_add_relu(net));
    if ((layer == 0 && g->pool_first) || layer == 1) XP_TRY(symclone_net_add_maxpool2(net));
  }
  if (!planar) XP_TRY(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX));
  XP_TRY(symclone_net_add_global_avgpool(net));
  XP_TRY(symclone_net_add_dense(net, g->hidden, 1));
  XP_TRY(symclone_net_add_relu(net));
  XP_TRY(symclone_net_add_dense(net, g->classes, 1));
  return net;
}

#endif
