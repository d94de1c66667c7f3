/* bench_mpi: a student sharded over MPI ranks (libsymclone-mpi), cloned
 * for a few steps: how the step time, the memory per rank and the
 * communication change with the rank count (docs/distributed.md).
 *
 *   mpiexec -n 1 bench_mpi            # C4 lifting, 3x3, 64x64 zero padding,
 *   mpiexec -n 2 bench_mpi            # 9 blocks: 151 M parameters
 *   mpiexec -n 2 bench_mpi --size 32 --objective stochastic --steps 5
 *
 * Every figure is printed by rank 0 as name=value:
 *   ranks, params_total, params_rank_max   the whole student's parameters
 *                   and the most any rank holds (its rows of the blocks,
 *                   the coefficients and transforms in full)
 *   ms_per_step     median over the timed steps, after the warm-up
 *   comm_bytes_per_step   bytes one rank receives per step (the
 *                   reductions, the settings' and the status's agreement)
 *   comm_ms_per_step, comm_frac   the step's time inside those
 *                   collectives, and its fraction of the step; the time
 *                   includes waiting for the slowest rank
 *   transfer_us_per_step  the same collectives as a moment step's, timed
 *                   alone after a barrier (no rank waits for another):
 *                   the cost of the transfer itself
 *   peak_rss_mb_rank_R, peak_rss_mb_max   peak resident memory of each
 *                   rank (VmHWM), and their largest
 *
 * Options are parsed before MPI starts, as strictly as bench_clone's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <symclone/mpi.h>
#include <symclone/symclone.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct options {
  int size, kernel, blocks, steps, warmup, threads;
  int objective; /* SYMCLONE_OBJECTIVE_* */
} options;

static void usage(FILE *to) {
  fprintf(to,
          "usage: bench_mpi [--help] [--size N] [--kernel K] [--blocks B] [--steps N]\n"
          "                 [--objective moment|stochastic|unit] [--threads N]\n"
          "  run under mpiexec -n RANKS; a C4 lifting student on N x N (zero padding)\n"
          "  --size       image side, in [3, 256] (default 64)\n"
          "  --kernel     odd kernel side, in [1, 15] (default 3)\n"
          "  --blocks     blocks, in [1, 256] (default 9)\n"
          "  --steps      timed steps, median taken, in [1, 1000] (default 5)\n"
          "  --objective  the trainer's objective (default moment)\n"
          "  --threads    the trainer's threads on each rank, in [1, 64] (default 1)\n");
}

static int whole_in(const char *s, long lo, long hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int bad_value(const char *option, const char *value, const char *want) {
  fprintf(stderr, "bench_mpi: %s %s: %s\n", option, value, want);
  return -1;
}

/* 0 to run, 1 for --help, -1 for bad options (the message is printed). */
static int parse_options(int argc, char **argv, options *o) {
  *o = (options){64, 3, 9, 5, 1, 1, SYMCLONE_OBJECTIVE_MOMENT};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help")) return 1;
    int takes_value = !strcmp(a, "--size") || !strcmp(a, "--kernel") || !strcmp(a, "--blocks") ||
                      !strcmp(a, "--steps") || !strcmp(a, "--objective") ||
                      !strcmp(a, "--threads");
    if (!takes_value) {
      fprintf(stderr, "bench_mpi: unknown option %s\n", a);
      return -1;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "bench_mpi: %s needs a value\n", a);
      return -1;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--size")) {
      if (whole_in(v, 3, 256, &o->size)) return bad_value(a, v, "a whole number in [3, 256]");
    } else if (!strcmp(a, "--kernel")) {
      if (whole_in(v, 1, 15, &o->kernel) || o->kernel % 2 == 0)
        return bad_value(a, v, "an odd whole number in [1, 15]");
    } else if (!strcmp(a, "--blocks")) {
      if (whole_in(v, 1, 256, &o->blocks)) return bad_value(a, v, "a whole number in [1, 256]");
    } else if (!strcmp(a, "--steps")) {
      if (whole_in(v, 1, 1000, &o->steps)) return bad_value(a, v, "a whole number in [1, 1000]");
    } else if (!strcmp(a, "--threads")) {
      if (whole_in(v, 1, 64, &o->threads)) return bad_value(a, v, "a whole number in [1, 64]");
    } else if (!strcmp(v, "moment")) {
      o->objective = SYMCLONE_OBJECTIVE_MOMENT;
    } else if (!strcmp(v, "stochastic")) {
      o->objective = SYMCLONE_OBJECTIVE_STOCHASTIC;
    } else if (!strcmp(v, "unit")) {
      o->objective = SYMCLONE_OBJECTIVE_UNIT_KERNELS;
    } else {
      return bad_value(a, v, "moment, stochastic or unit");
    }
  }
  if (o->kernel > o->size) return bad_value("--kernel", "", "must not exceed --size");
  return 0;
}

/* The collectives of one step of the moment objective with AdamW (the
 * settings' broadcast and the agreement before it, the Gram matrix and tap
 * sums, the count of parameters left unchanged, the agreement after it),
 * timed alone after a barrier: seconds per step, the median of reps. */
static double transfer_seconds(int blocks, int kernel, int reps) {
  size_t n = (size_t)blocks * (size_t)(blocks + kernel * kernel);
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double *v = calloc(n, sizeof *v), *all = calloc(n * (size_t)size, sizeof *all), set[24] = {0};
  double *t = calloc((size_t)reps, sizeof *t), one = 0.0, ones[1024];
  if (!v || !all || !t || size > 1024) {
    free(v), free(all), free(t);
    return -1.0;
  }
  for (int r = 0; r < reps; r++) {
    int a = 0, b = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    MPI_Bcast(set, 24, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    MPI_Allreduce(&a, &b, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allgather(v, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Allgather(&one, 1, MPI_DOUBLE, ones, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Allreduce(&a, &b, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    t[r] = MPI_Wtime() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp_double);
  double med = t[reps / 2];
  free(v), free(all), free(t);
  return med;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* VmHWM of this process, in MB (-1 if unknown) */
static double peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb >= 0 ? (double)kb / 1024.0 : -1.0;
}

/* Stop every rank on a failed call (the statuses agree across ranks). */
static void check(int rank, symclone_status st, const char *what, const char *msg) {
  if (!st) return;
  if (rank == 0) fprintf(stderr, "bench_mpi: %s: %s (%s)\n", what, symclone_strerror(st), msg);
  MPI_Finalize();
  exit(1);
}

int main(int argc, char **argv) {
  options o;
  int parsed = parse_options(argc, argv, &o);
  if (parsed) {
    usage(parsed > 0 ? stdout : stderr);
    return parsed > 0 ? 0 : 2;
  }
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  symclone_mpi_student *ms;
  check(rank,
        symclone_mpi_student_create(&ms, MPI_COMM_WORLD, SYMCLONE_STUDENT_LIFTING, 4, o.kernel,
                                    o.size, o.size, SYMCLONE_PADDING_ZERO, o.blocks, 1),
        "creating the student", "");
  symclone_mpi_trainer *mt;
  check(rank, symclone_mpi_trainer_create(&mt, ms), "creating the trainer",
        symclone_mpi_student_last_error(ms));
  check(rank, symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_OBJECTIVE, o.objective), "objective",
        symclone_mpi_trainer_last_error(mt));
  check(rank, symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_THREADS, o.threads), "threads",
        symclone_mpi_trainer_last_error(mt));
  size_t count, total_rows, local_n;
  symclone_mpi_student_params(ms, &count);
  symclone_mpi_student_rows(ms, &local_n, NULL, &total_rows);
  unsigned long long mine = count, most = 0;
  MPI_Reduce(&mine, &most, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
  size_t in_hw = (size_t)o.size * (size_t)o.size;
  double total = (double)count + (double)(total_rows - local_n) * (double)o.blocks * in_hw;
  double *times = malloc((size_t)o.steps * sizeof *times);
  if (!times) check(rank, SYMCLONE_ERR_NOMEM, "allocating", "");
  for (int i = 0; i < o.warmup; i++)
    check(rank, symclone_mpi_trainer_step(mt, NULL, NULL), "warm-up step",
          symclone_mpi_trainer_last_error(mt));
  double b0, c0, b1, c1;
  symclone_mpi_trainer_traffic(mt, &b0, &c0);
  for (int i = 0; i < o.steps; i++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    check(rank, symclone_mpi_trainer_step(mt, NULL, NULL), "step",
          symclone_mpi_trainer_last_error(mt));
    times[i] = now() - t0;
  }
  symclone_mpi_trainer_traffic(mt, &b1, &c1);
  double step_sum = 0.0;
  for (int i = 0; i < o.steps; i++) step_sum += times[i];
  qsort(times, (size_t)o.steps, sizeof *times, cmp_double);
  double med = o.steps % 2 ? times[o.steps / 2]
                           : 0.5 * (times[o.steps / 2 - 1] + times[o.steps / 2]);
  double transfer = transfer_seconds(o.blocks, o.kernel, 201);
  double rss = peak_rss_mb(), *all_rss = malloc((size_t)size * sizeof *all_rss);
  if (!all_rss) check(rank, SYMCLONE_ERR_NOMEM, "allocating", "");
  MPI_Gather(&rss, 1, MPI_DOUBLE, all_rss, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  double loss, rel;
  symclone_mpi_trainer_loss(mt, &loss, &rel);
  if (rank == 0) {
    const char *obj = o.objective == SYMCLONE_OBJECTIVE_MOMENT       ? "moment"
                      : o.objective == SYMCLONE_OBJECTIVE_STOCHASTIC ? "stochastic"
                                                                     : "unit";
    printf("library_version=%s\nranks=%d\nstudent=c4_lifting\nsize=%d\nkernel=%d\nblocks=%d\n"
           "objective=%s\nthreads=%d\nsteps=%d\n",
           symclone_version_string(), size, o.size, o.kernel, o.blocks, obj, o.threads, o.steps);
    printf("params_total=%.0f\nparams_rank_max=%llu\n", total, most);
    printf("ms_per_step=%.1f\n", 1e3 * med);
    printf("comm_bytes_per_step=%.0f\n", (b1 - b0) / o.steps);
    printf("comm_ms_per_step=%.2f\ncomm_frac=%.4f\n", 1e3 * (c1 - c0) / o.steps,
           (c1 - c0) / step_sum);
    printf("transfer_us_per_step=%.1f\n", 1e6 * transfer);
    double worst = 0.0;
    for (int r = 0; r < size; r++) {
      printf("peak_rss_mb_rank_%d=%.0f\n", r, all_rss[r]);
      if (all_rss[r] > worst) worst = all_rss[r];
    }
    printf("peak_rss_mb_max=%.0f\nrel_loss=%.6g\n", worst, rel);
  }
  free(all_rss);
  free(times);
  symclone_mpi_trainer_free(mt);
  symclone_mpi_student_free(ms);
  MPI_Finalize();
  return 0;
}
