/* O_TMPFILE, linkat's AT_SYMLINK_FOLLOW use and fchown are extensions to
 * the POSIX level the project builds at. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"

static uint32_t crc_table_entry(uint32_t c) {
  for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  return c;
}

uint32_t sym_crc32(uint32_t crc, const void *data, size_t len) {
  /* Table computed on the fly into a local array: no mutable globals. */
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) table[i] = crc_table_entry(i);
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void sym_put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
void sym_put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
uint32_t sym_get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}
uint64_t sym_get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}
void sym_put_f32(unsigned char *p, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  sym_put_u32(p, u);
}
float sym_get_f32(const unsigned char *p) {
  uint32_t u = sym_get_u32(p);
  float v;
  memcpy(&v, &u, 4);
  return v;
}

/* ---- results ---- */

symclone_status sym_file_status(int e) {
  switch (e) {
  case 0: return SYMCLONE_OK;
  case SYM_FILE_NOT_REGULAR:
  case SYM_FILE_SAME: return SYMCLONE_ERR_PATH;
  case SYM_FILE_TOO_BIG: return SYMCLONE_ERR_BUDGET;
  case ENOMEM: return SYMCLONE_ERR_NOMEM;
  default: return SYMCLONE_ERR_IO;
  }
}

const char *sym_file_strerror(int e, char *buf, size_t len) {
  if (!buf || !len) return "";
  switch (e) {
  case SYM_FILE_NOT_REGULAR: snprintf(buf, len, "not a regular file"); return buf;
  case SYM_FILE_SAME: snprintf(buf, len, "the same file twice"); return buf;
  case SYM_FILE_NO_WRITE_BIT:
    snprintf(buf, len, "permission denied (EACCES): the file has no write permission bit");
    return buf;
  case SYM_FILE_TOO_BIG: snprintf(buf, len, "larger than the memory budget"); return buf;
  default: break;
  }
  char text[128];
#if defined(__GLIBC__)
  const char *t = strerror_r(e, text, sizeof text); /* the GNU variant */
#else
  const char *t = strerror_r(e, text, sizeof text) == 0 ? text : "unknown error";
#endif
  if (e == EACCES)
    snprintf(buf, len, "%s (EACCES)", t);
  else
    snprintf(buf, len, "%s", t);
  return buf;
}

/* ---- paths ---- */

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = sym_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* a + "/" + b, or b alone if b is absolute or a is empty */
static char *join(const char *a, size_t alen, const char *b) {
  if (b[0] == '/' || alen == 0) return dup_str(b);
  size_t blen = strlen(b), n;
  if (sym_add_size(alen, blen, &n) || sym_add_size(n, 2, &n)) return NULL;
  char *d = sym_malloc(n);
  if (!d) return NULL;
  memcpy(d, a, alen);
  d[alen] = '/';
  memcpy(d + alen + 1, b, blen + 1);
  return d;
}

/* Follow the symbolic links of path's last component (a chain of at most
 * 40) and split the result into its directory and its name.  The name may
 * not exist yet.  *dir and *name are sym_malloc'ed. */
static int resolve_target(const char *path, char **dir, char **name) {
  *dir = *name = NULL;
  char *cur = dup_str(path);
  if (!cur) return ENOMEM;
  for (int depth = 0;; depth++) {
    struct stat sb;
    if (lstat(cur, &sb) != 0) {
      if (errno == ENOENT) break; /* a new file */
      int e = errno;
      sym_free(cur);
      return e;
    }
    if (!S_ISLNK(sb.st_mode)) break;
    if (depth == 40) {
      sym_free(cur);
      return ELOOP;
    }
    size_t cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 256;
    char *link = NULL;
    for (;;) {
      link = sym_malloc(cap);
      if (!link) {
        sym_free(cur);
        return ENOMEM;
      }
      ssize_t n = readlink(cur, link, cap);
      if (n < 0) {
        int e = errno;
        sym_free(link);
        sym_free(cur);
        return e;
      }
      if ((size_t)n < cap) {
        link[n] = '\0';
        break;
      }
      sym_free(link);
      cap *= 2;
    }
    const char *slash = strrchr(cur, '/');
    size_t dlen = slash ? (size_t)(slash - cur) + (slash == cur) : 0;
    char *next = join(cur, dlen, link);
    sym_free(link);
    sym_free(cur);
    if (!next) return ENOMEM;
    cur = next;
  }
  const char *slash = strrchr(cur, '/');
  const char *base = slash ? slash + 1 : cur;
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    sym_free(cur);
    return SYM_FILE_NOT_REGULAR; /* names a directory */
  }
  *name = dup_str(base);
  if (!slash)
    *dir = dup_str(".");
  else if (slash == cur)
    *dir = dup_str("/");
  else {
    cur[slash - cur] = '\0';
    *dir = dup_str(cur);
  }
  sym_free(cur);
  if (!*name || !*dir) {
    sym_free(*name);
    sym_free(*dir);
    *name = *dir = NULL;
    return ENOMEM;
  }
  return 0;
}

int sym_file_same(const char *a, const char *b, int *same) {
  *same = 0;
  struct stat sa, sb;
  if (stat(a, &sa) == 0 && stat(b, &sb) == 0) {
    *same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return 0;
  }
  /* At most one exists: compare the resolved names. */
  char *da = NULL, *na = NULL, *db = NULL, *nb = NULL, *ra = NULL, *rb = NULL;
  int e = resolve_target(a, &da, &na);
  if (e == 0) e = resolve_target(b, &db, &nb);
  if (e == 0 && strcmp(na, nb) == 0) {
    ra = realpath(da, NULL);
    rb = realpath(db, NULL);
    if (ra && rb) *same = strcmp(ra, rb) == 0;
    /* an unreachable directory is reported by the save itself */
  }
  free(ra);
  free(rb);
  sym_free(da);
  sym_free(na);
  sym_free(db);
  sym_free(nb);
  return e == SYM_FILE_NOT_REGULAR ? 0 : e;
}

/* ---- saving ---- */

/* The process's umask without changing it where /proc tells it. */
static mode_t current_umask(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (f) {
    char line[256];
    unsigned m;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "Umask: %o", &m) == 1) {
        fclose(f);
        return (mode_t)m;
      }
    fclose(f);
  }
  mode_t m = umask(0);
  umask(m);
  return m;
}

/* A random suffix of six characters for temporary names. */
static void random_suffix(char *out, const void *salt) {
  static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  sym_rng r;
  sym_rng_seed(&r, ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec * 1000000007u ^
                       (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)salt);
  for (int i = 0; i < 6; i++) out[i] = set[sym_rng_below(&r, sizeof set - 1)];
  out[6] = '\0';
}

/* ".<name>.symclone-tmp-XXXXXX" */
static char *temp_name(const char *name) {
  size_t n = strlen(name), len;
  if (sym_add_size(n, 32, &len)) return NULL;
  char *t = sym_malloc(len);
  if (t) snprintf(t, len, ".%s.symclone-tmp-XXXXXX", name);
  return t;
}

static void out_release(sym_file_out *o) {
  if (o->fd >= 0) close(o->fd);
  if (o->dirfd >= 0) close(o->dirfd);
  sym_free(o->name);
  sym_free(o->tmp);
  o->fd = o->dirfd = -1;
  o->name = o->tmp = NULL;
}

#if defined(O_TMPFILE) && defined(__linux__)
/* An unnamed file in the directory, if the system makes one and /proc
 * lets linkat name it later; -1 otherwise (errno tells why). */
static int open_unnamed(int dirfd, mode_t mode) {
  int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (access(proc, F_OK) != 0) {
    close(fd);
    errno = EOPNOTSUPP;
    return -1;
  }
  return fd;
}
#endif

/* A named temporary file beside the target, made by mkstemp. */
static int open_named(sym_file_out *o, const char *dir) {
  char *t = temp_name(o->name);
  if (!t) return ENOMEM;
  char *full = join(dir, strlen(dir), t);
  sym_free(t);
  if (!full) return ENOMEM;
  int fd = mkostemp(full, O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    sym_free(full);
    return e;
  }
  /* keep only the last component: everything else goes through dirfd */
  const char *base = strrchr(full, '/');
  o->tmp = dup_str(base ? base + 1 : full);
  if (!o->tmp) {
    unlink(full);
    sym_free(full);
    close(fd);
    return ENOMEM;
  }
  sym_free(full);
  o->fd = fd;
  return 0;
}

int sym_file_out_open(sym_file_out *o, const char *path) {
  o->fd = o->dirfd = -1;
  o->name = o->tmp = NULL;
  o->replace = 0;
  char *dir = NULL;
  int e = resolve_target(path, &dir, &o->name);
  if (e) return e;
  o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#ifdef O_PATH
  if (o->dirfd < 0 && errno == EACCES) /* a directory one may write but not list */
    o->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
#endif
  if (o->dirfd < 0) {
    e = errno;
    goto fail;
  }
  struct stat sb;
  mode_t mode;
  if (fstatat(o->dirfd, o->name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISREG(sb.st_mode)) {
      e = SYM_FILE_NOT_REGULAR;
      goto fail;
    }
    if (faccessat(o->dirfd, o->name, W_OK, 0) != 0) {
      e = errno;
      goto fail;
    }
    if ((sb.st_mode & 0222) == 0) {
      e = SYM_FILE_NO_WRITE_BIT;
      goto fail;
    }
    o->replace = 1;
    mode = sb.st_mode & 0777;
  } else if (errno == ENOENT) {
    mode = 0666 & ~current_umask();
  } else {
    e = errno;
    goto fail;
  }
#if defined(O_TMPFILE) && defined(__linux__)
  o->fd = open_unnamed(o->dirfd, mode);
  if (o->fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    e = errno;
    goto fail;
  }
#endif
  if (o->fd < 0) {
    e = open_named(o, dir);
    if (e) goto fail;
  }
  if (fchmod(o->fd, mode) != 0) {
    e = errno;
    goto fail;
  }
  if (o->replace && geteuid() == 0) (void)fchown(o->fd, sb.st_uid, sb.st_gid); /* best effort */
  sym_free(dir);
  return 0;
fail:
  if (o->tmp) unlinkat(o->dirfd, o->tmp, 0);
  out_release(o);
  sym_free(dir);
  return e;
}

int sym_file_out_write(sym_file_out *o, const void *data, size_t len) {
  const unsigned char *p = data;
  size_t done = 0;
  while (done < len) {
    size_t want = len - done > ((size_t)1 << 30) ? (size_t)1 << 30 : len - done;
    ssize_t w = write(o->fd, p + done, want);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    done += (size_t)w;
  }
  return 0;
}

void sym_file_out_discard(sym_file_out *o) {
  if (o->tmp && o->dirfd >= 0) unlinkat(o->dirfd, o->tmp, 0);
  out_release(o);
}

#if defined(O_TMPFILE) && defined(__linux__)
/* Give the unnamed file o->fd a name: the target's if it has none, else a
 * fresh temporary name (o->tmp) that the caller renames. */
static int link_unnamed(sym_file_out *o) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
  if (!o->replace) {
    if (linkat(AT_FDCWD, proc, o->dirfd, o->name, AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno != EEXIST) return errno;
  }
  char *t = temp_name(o->name);
  if (!t) return ENOMEM;
  size_t at = strlen(t) - 6;
  for (int attempt = 0; attempt < 100; attempt++) {
    random_suffix(t + at, t);
    if (linkat(AT_FDCWD, proc, o->dirfd, t, AT_SYMLINK_FOLLOW) == 0) {
      o->tmp = t;
      return 0;
    }
    if (errno != EEXIST) {
      int e = errno;
      sym_free(t);
      return e;
    }
  }
  sym_free(t);
  return EEXIST;
}
#endif

int sym_file_out_commit(sym_file_out *o) {
  int e = 0;
  if (fsync(o->fd) != 0) e = errno;
#if defined(O_TMPFILE) && defined(__linux__)
  if (!e && !o->tmp) e = link_unnamed(o);
#endif
  if (!e && o->tmp && renameat(o->dirfd, o->tmp, o->dirfd, o->name) != 0) e = errno;
  if (e) {
    sym_file_out_discard(o);
    return e;
  }
  sym_free(o->tmp); /* renamed: nothing to remove */
  o->tmp = NULL;
  if (close(o->fd) != 0) e = errno;
  o->fd = -1;
  (void)fsync(o->dirfd); /* the new name on disk too; advice where refused */
  out_release(o);
  return e;
}

int sym_write_file_atomic(const char *path, const void *data, size_t len) {
  sym_file_out o;
  int e = sym_file_out_open(&o, path);
  if (e) return e;
  e = sym_file_out_write(&o, data, len);
  if (e) {
    sym_file_out_discard(&o);
    return e;
  }
  return sym_file_out_commit(&o);
}

/* ---- reading ---- */

int sym_file_open_read(const char *path, int *fd_out, uint64_t *size) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return SYM_FILE_NOT_REGULAR;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  *fd_out = fd;
  *size = (uint64_t)sb.st_size;
  return 0;
}

int sym_read_file(const char *path, size_t max_len, unsigned char **data, size_t *len) {
  int fd;
  uint64_t fsize;
  int e = sym_file_open_read(path, &fd, &fsize);
  if (e) return e;
  if (fsize > (uint64_t)max_len) {
    close(fd);
    return SYM_FILE_TOO_BIG;
  }
  size_t size = (size_t)fsize;
  unsigned char *buf = sym_malloc(size ? size : 1);
  if (!buf) {
    close(fd);
    return ENOMEM;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t r = read(fd, buf + done, size - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      e = errno;
      sym_free(buf);
      close(fd);
      return e;
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  close(fd);
  *data = buf;
  *len = done;
  return 0;
}
