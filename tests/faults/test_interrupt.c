/* A save interrupted at any moment leaves the previous file intact, and
 * leaves nothing else behind.
 *
 * A child process saves two different large students to one path, one
 * after the other, forever; the parent kills it with SIGKILL after a random
 * delay, many times.  After every kill the file at the path must load and
 * be exactly one of the two students, never a mixture or a torn file.
 *
 * Just before each kill the parent looks at the child's open files
 * (/proc/PID/fd): a kill that lands while the child holds the temporary
 * file open, or one that leaves a temporary file, is a kill in the middle
 * of a write, and the test requires some.
 * Where the system has unnamed temporary files (O_TMPFILE) a killed save
 * leaves nothing at all; the one trace allowed is a file named
 * `.student.bin.symclone-tmp-XXXXXX`, which a save uses where the system has
 * no unnamed files (every kill in the middle of a write may leave one) or,
 * with unnamed files, for the instant between linking the new file and
 * renaming it onto the path (at most one in the whole run).  Any other
 * name is a failure.  Leftovers are removed between rounds.
 *
 * usage: test_interrupt [ROUNDS] (default 40) */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <symclone/symclone.h>

static int failures;

#define EXPECT(cond, ...)                                                                      \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      printf("FAIL: " __VA_ARGS__);                                                            \
      printf("\n");                                                                            \
      failures++;                                                                              \
    }                                                                                          \
  } while (0)

/* Remove the files left in dir by killed saves, other than keep; returns
 * how many, and counts in *foreign those not named as documented. */
static int remove_leftovers(const char *dir, const char *keep, int *foreign) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, keep) == 0)
      continue;
    if (strncmp(e->d_name, ".student.bin.symclone-tmp-", 26) != 0 || strlen(e->d_name) != 32) {
      printf("unexpected file %s\n", e->d_name);
      (*foreign)++;
    }
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (unlink(p) == 0) n++;
  }
  closedir(d);
  return n;
}

/* Which temporary file the child holds open in dir: 2 unnamed (O_TMPFILE),
 * 1 named, 0 none. */
static int child_writing(pid_t pid, const char *dir) {
  char fddir[64], link[384], target[600];
  snprintf(fddir, sizeof fddir, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(fddir);
  if (!d) return 0;
  int found = 0;
  struct dirent *e;
  size_t dl = strlen(dir);
  while (!found && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(link, sizeof link, "%s/%s", fddir, e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (strncmp(target, dir, dl) != 0) continue;
    if (strstr(target, "(deleted)") && target[dl] == '/' && target[dl + 1] == '#')
      found = 2;
    else if (strstr(target, "symclone-tmp-"))
      found = 1;
  }
  closedir(d);
  return found;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  char dir[64], path[128];
  snprintf(dir, sizeof dir, "/tmp/symclone-interrupt.XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/student.bin", dir);

  /* two students of about 3.7 MB each, different in every parameter */
  symclone_student *v[2];
  for (int i = 0; i < 2; i++)
    if (symclone_student_create(&v[i], SYMCLONE_STUDENT_LIFTING, 4, 3, 16, 16,
                                SYMCLONE_PADDING_ZERO, 9 + i, 100 + (unsigned)i) != SYMCLONE_OK) {
      printf("FAIL: cannot create the students\n");
      return 1;
    }
  size_t np[2] = {symclone_student_param_count(v[0], SYMCLONE_STUDENT_PART_ALL),
                  symclone_student_param_count(v[1], SYMCLONE_STUDENT_PART_ALL)};
  printf("students of %zu and %zu parameters\n", np[0], np[1]);
  if (symclone_student_save(v[0], path) != SYMCLONE_OK) {
    printf("FAIL: first save\n");
    return 1;
  }

  unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  printf("random delays from seed %u\n", seed);
  srand(seed);
  int mid_write = 0, unnamed = 0, left_total = 0, foreign = 0, seen[2] = {0, 0};
  for (int r = 0; r < rounds; r++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      for (unsigned i = 1;; i++)
        if (symclone_student_save(v[i % 2], path) != SYMCLONE_OK) _exit(3);
    }
    sleep_us(2000 + rand() % 60000);
    int writing = child_writing(pid, dir);
    kill(pid, SIGKILL);
    unnamed += writing == 2;
    int status;
    waitpid(pid, &status, 0);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "round %d: the saving child ended by itself (status %d)", r, status);

    symclone_student *back = NULL;
    symclone_loader *loader;
    if (symclone_loader_create(&loader) != SYMCLONE_OK) return 1;
    symclone_status st = symclone_student_load(&back, path, loader);
    EXPECT(st == SYMCLONE_OK, "round %d: the file does not load: %s", r,
           symclone_loader_last_error(loader));
    symclone_loader_free(loader);
    if (st == SYMCLONE_OK) {
      size_t n = symclone_student_param_count(back, SYMCLONE_STUDENT_PART_ALL);
      int which = -1;
      for (int i = 0; i < 2; i++)
        if (n == np[i] && memcmp(symclone_student_params(back), symclone_student_params(v[i]),
                                 n * sizeof(float)) == 0)
          which = i;
      EXPECT(which >= 0, "round %d: the file is neither saved version", r);
      if (which >= 0) seen[which]++;
      symclone_student_free(back);
    }
    int left = remove_leftovers(dir, "student.bin", &foreign);
    EXPECT(left <= 1, "round %d: %d temporary files left", r, left);
    left_total += left;
    mid_write += writing > 0 || left > 0; /* a file left proves it too */
  }
  printf("%d kills, %d in the middle of a write (%d of an unnamed file), %d temporary files "
         "left; the file was the first version %d times, the second %d times\n",
         rounds, mid_write, unnamed, left_total, seen[0], seen[1]);
  EXPECT(mid_write > 0, "no kill landed during a write: the test proved nothing");
  EXPECT(foreign == 0, "%d files left under names other than the documented one", foreign);
  if (unnamed > 0)
    EXPECT(left_total <= 1, "%d files left although the saves write unnamed files", left_total);
  unlink(path);
  rmdir(dir);
  symclone_student_free(v[0]);
  symclone_student_free(v[1]);
  printf("%s\n", failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}
