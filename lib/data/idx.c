/* IDX files: the reader with every header field checked and its memory
 * bounded by the loader's budget, and the writer, which saves both files
 * through the library's atomic file writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/fileio.h"
#include "../common/loader_priv.h"
#include "config.h"
#include "data_priv.h"

#if SYMCLONE_HAVE_ZLIB
#include <zlib.h>
#endif

#define IDX_LABELS_MAGIC 0x00000801u /* unsigned bytes, 1 dimension */
#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned bytes, 3 dimensions */
#define GZ_CHUNK ((size_t)1 << 24)   /* bytes per gzread/gzwrite call */
#define GZ_FIRST ((size_t)1 << 20)   /* first buffer for a gzip payload */

/* ---- reading ---- */

typedef struct idx_file {
  const char *what; /* "images" or "labels", the prefix of messages */
  int fd;           /* plain file; -1 if closed or handed to zlib */
  int is_gz;
#if SYMCLONE_HAVE_ZLIB
  gzFile gz;
#endif
  int size_known; /* plain regular file: size is its length */
  uint64_t size;
  uint32_t dims[3];
  size_t header;       /* header bytes: 4 + 4 * dimensions */
  size_t payload;      /* bytes the header announces after it */
  unsigned char *data; /* the payload once read */
} idx_file;

static void idx_init(idx_file *f, const char *what) {
  memset(f, 0, sizeof *f);
  f->what = what;
  f->fd = -1;
}

static void idx_close(idx_file *f) {
#if SYMCLONE_HAVE_ZLIB
  if (f->gz) gzclose(f->gz);
  f->gz = NULL;
#endif
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  sym_free(f->data);
  f->data = NULL;
}

/* Read up to n bytes; *got < n only at the end of the content.  Errors of
 * the file system or of the gzip stream are returned as a status. */
static symclone_status idx_read(idx_file *f, void *buf, size_t n, size_t *got, const sym_err *m) {
  unsigned char *p = buf;
  size_t done = 0;
  char eb[128];
  while (done < n) {
    size_t want = n - done;
#if SYMCLONE_HAVE_ZLIB
    if (f->is_gz) {
      if (want > GZ_CHUNK) want = GZ_CHUNK;
      int r = gzread(f->gz, p + done, (unsigned)want);
      int zerr = Z_OK;
      const char *zmsg = gzerror(f->gz, &zerr);
      if (zerr == Z_BUF_ERROR) {
        if (r > 0) done += (size_t)r;
        *got = done;
        return sym_fail(m, SYMCLONE_ERR_TRUNCATED, "%s: the gzip stream is cut short", f->what);
      }
      if (zerr == Z_ERRNO)
        return sym_fail(m, SYMCLONE_ERR_IO, "%s: read error: %s", f->what,
                    sym_file_strerror(errno, eb, sizeof eb));
      if (zerr == Z_MEM_ERROR) return sym_fail(m, SYMCLONE_ERR_NOMEM, "%s: out of memory", f->what);
      if (zerr != Z_OK || r < 0) {
        /* zlib prefixes the message with "<fd:N>: " for a descriptor */
        const char *why = zmsg && strncmp(zmsg, "<fd:", 4) == 0 && strstr(zmsg, ": ")
                              ? strstr(zmsg, ": ") + 2
                              : zmsg;
        return sym_fail(m, SYMCLONE_ERR_CORRUPT, "%s: damaged gzip stream (%s)", f->what,
                    why && *why ? why : "unknown error");
      }
      if (r == 0) break;
      done += (size_t)r;
      continue;
    }
#endif
    if (want > ((size_t)1 << 30)) want = (size_t)1 << 30;
    ssize_t r = read(f->fd, p + done, want);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sym_fail(m, SYMCLONE_ERR_IO, "%s: read error: %s", f->what,
                  sym_file_strerror(errno, eb, sizeof eb));
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  *got = done;
  return SYMCLONE_OK;
}

static symclone_status idx_open(idx_file *f, const char *path, const sym_err *m) {
  char eb[160];
  int e = sym_file_open_read(path, &f->fd, &f->size);
  if (e)
    return sym_fail(m, sym_file_status(e), "%s: cannot open %s: %s", f->what, path,
                    sym_file_strerror(e, eb, sizeof eb));
  unsigned char sig[2];
  size_t got;
  symclone_status st = idx_read(f, sig, 2, &got, m);
  if (st) return st;
  if (got == 0)
    return sym_fail(m, SYMCLONE_ERR_TRUNCATED, "%s: %s is an empty file", f->what, path);
  if (lseek(f->fd, 0, SEEK_SET) != 0)
    return sym_fail(m, SYMCLONE_ERR_IO, "%s: cannot seek in %s: %s", f->what, path,
                    sym_file_strerror(errno, eb, sizeof eb));
  if (got == 2 && sig[0] == 0x1f && sig[1] == 0x8b) {
#if SYMCLONE_HAVE_ZLIB
    f->gz = gzdopen(f->fd, "rb");
    if (!f->gz) return sym_fail(m, SYMCLONE_ERR_NOMEM, "%s: out of memory", f->what);
    f->fd = -1; /* owned by zlib now */
    f->is_gz = 1;
    gzbuffer(f->gz, 1u << 17);
    return SYMCLONE_OK;
#else
    return sym_fail(m, SYMCLONE_ERR_NOT_AVAILABLE,
                    "%s: %s is gzip-compressed but this build has no zlib", f->what, path);
#endif
  }
  f->size_known = 1;
  return SYMCLONE_OK;
}

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Read and check the header: magic, dimensions, sizes. */
static symclone_status idx_header(idx_file *f, uint32_t magic, int ndims, const sym_err *m) {
  static const char *const names[3] = {"count", "rows", "cols"};
  unsigned char h[16];
  size_t need = 4 + 4 * (size_t)ndims, got;
  symclone_status st = idx_read(f, h, need, &got, m);
  if (st) return st;
  if (got >= 4 && be32(h) != magic)
    return sym_fail(m, SYMCLONE_ERR_FORMAT, "%s: magic 0x%08" PRIx32 " is not 0x%08" PRIx32 " (%s)",
                f->what, be32(h), magic,
                magic == IDX_IMAGES_MAGIC ? "ubyte images" : "ubyte labels");
  if (got < need)
    return sym_fail(m, SYMCLONE_ERR_TRUNCATED, "%s: the header ends after %zu of its %zu bytes",
                f->what, got, need);
  size_t total = 1;
  for (int d = 0; d < ndims; d++) {
    f->dims[d] = be32(h + 4 + 4 * d);
    if (f->dims[d] == 0)
      return sym_fail(m, SYMCLONE_ERR_FORMAT, "%s: dimension %d (%s) is 0", f->what, d, names[d]);
    if (d > 0 && f->dims[d] > (uint32_t)INT32_MAX)
      return sym_fail(m, SYMCLONE_ERR_OVERFLOW, "%s: %s=%" PRIu32 " does not fit an int", f->what,
                  names[d], f->dims[d]);
    if (sym_mul_size(total, (size_t)f->dims[d], &total))
      return sym_fail(m, SYMCLONE_ERR_OVERFLOW, "%s: the dimensions' product overflows", f->what);
  }
  size_t fbytes;
  if (sym_mul_size(total, sizeof(float), &fbytes))
    return sym_fail(m, SYMCLONE_ERR_OVERFLOW, "%s: %zu values overflow as floats", f->what, total);
  f->header = need;
  f->payload = total;
  if (f->size_known && f->size >= need) {
    uint64_t have = f->size - need;
    if (have < (uint64_t)total)
      return sym_fail(m, SYMCLONE_ERR_TRUNCATED,
                  "%s: the header gives %zu bytes after it, the file has %" PRIu64, f->what, total,
                  have);
    if (have > (uint64_t)total)
      return sym_fail(m, SYMCLONE_ERR_CORRUPT, "%s: %" PRIu64 " bytes follow the %zu the header gives",
                  f->what, have - (uint64_t)total, total);
  }
  return SYMCLONE_OK;
}

/* Read the payload, then make sure nothing follows it. */
static symclone_status idx_payload(idx_file *f, const sym_err *m) {
  size_t n = f->payload, have = 0, got;
  size_t cap = f->is_gz && n > GZ_FIRST ? GZ_FIRST : n;
  symclone_status st;
  f->data = sym_malloc(cap);
  if (!f->data) return sym_fail(m, SYMCLONE_ERR_NOMEM, "%s: cannot allocate %zu bytes", f->what, cap);
  /* A gzip stream's length is known only by reading it, so its buffer grows
   * with the content instead of trusting the header's size up front. */
  for (;;) {
    st = idx_read(f, f->data + have, cap - have, &got, m);
    if (st) return st;
    have += got;
    if (have < cap || cap == n) break;
    size_t ncap = cap > n / 2 ? n : 2 * cap;
    unsigned char *nd = sym_malloc(ncap);
    if (!nd) return sym_fail(m, SYMCLONE_ERR_NOMEM, "%s: cannot allocate %zu bytes", f->what, ncap);
    memcpy(nd, f->data, have);
    sym_free(f->data);
    f->data = nd;
    cap = ncap;
  }
  if (have < n)
    return sym_fail(m, SYMCLONE_ERR_TRUNCATED,
                "%s: the content ends after %zu of the %zu bytes the "
                "header gives",
                f->what, have, n);
  unsigned char extra;
  st = idx_read(f, &extra, 1, &got, m);
  if (st) return st;
  if (got)
    return sym_fail(m, SYMCLONE_ERR_CORRUPT, "%s: bytes follow the %zu the header gives", f->what, n);
  return SYMCLONE_OK;
}

/* What a load of these headers allocates: both contents as read and the
 * dataset they become (floats and ints).  -1 on overflow. */
static int load_cost(const idx_file *im, const idx_file *lb, size_t *cost) {
  size_t floats, ints, c;
  if (sym_mul_size(im->payload, sizeof(float), &floats) ||
      sym_mul_size(lb->payload, sizeof(int), &ints) || sym_add_size(im->payload, lb->payload, &c) ||
      sym_add_size(c, floats, &c) || sym_add_size(c, ints, &c))
    return -1;
  *cost = c;
  return 0;
}

symclone_status symclone_dataset_load_idx(symclone_dataset **out, const char *images_path,
                                          const char *labels_path, int num_classes,
                                          symclone_loader *loader) {
  const sym_err *m = sym_loader_err(loader);
  if (!out || !images_path || !labels_path)
    return sym_fail(m, SYMCLONE_ERR_NULL, "out, images_path or labels_path is NULL");
  if (num_classes == 0) num_classes = 10;
  if (num_classes < 1 || num_classes > 256)
    return sym_fail(m, SYMCLONE_ERR_SIZE, "num_classes=%d is not in [1, 256]", num_classes);

  idx_file im, lb;
  idx_init(&im, "images");
  idx_init(&lb, "labels");
  symclone_dataset *d = NULL;
  symclone_status st = idx_open(&im, images_path, m);
  if (!st) st = idx_header(&im, IDX_IMAGES_MAGIC, 3, m);
  if (!st) st = idx_open(&lb, labels_path, m);
  if (!st) st = idx_header(&lb, IDX_LABELS_MAGIC, 1, m);
  if (!st && im.dims[0] != lb.dims[0])
    st = sym_fail(m, SYMCLONE_ERR_SHAPE, "images: %" PRIu32 " images but labels: %" PRIu32 " labels",
                  im.dims[0], lb.dims[0]);
  if (!st) {
    size_t cost, budget = sym_loader_budget(loader);
    if (load_cost(&im, &lb, &cost))
      st = sym_fail(m, SYMCLONE_ERR_OVERFLOW, "images: %" PRIu32 " images of %" PRIu32
                    "x%" PRIu32 " overflow as a dataset", im.dims[0], im.dims[1], im.dims[2]);
    else if (cost > budget)
      st = sym_fail(m, SYMCLONE_ERR_BUDGET,
                    "images: %" PRIu32 " images of %" PRIu32 "x%" PRIu32
                    " need %zu bytes to load, more than the loader's budget of %zu",
                    im.dims[0], im.dims[1], im.dims[2], cost, budget);
  }
  if (!st) st = idx_payload(&im, m);
  if (!st) st = idx_payload(&lb, m);
  if (!st)
    for (size_t i = 0; i < lb.payload; i++)
      if (lb.data[i] >= num_classes) {
        st = sym_fail(m, SYMCLONE_ERR_DATA, "labels: label %d of item %zu is not below %d",
                      lb.data[i], i, num_classes);
        break;
      }
  if (!st) {
    st = sym_dataset_alloc(&d, im.dims[0], (int)im.dims[1], (int)im.dims[2], num_classes);
    if (st == SYMCLONE_ERR_NOMEM)
      sym_fail(m, st, "cannot allocate %" PRIu32 " images of %" PRIu32 "x%" PRIu32, im.dims[0],
               im.dims[1], im.dims[2]);
    else if (st)
      sym_fail(m, st, "images: the dimensions do not fit");
  }
  if (!st) {
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = (float)v / 255.0f;
    for (size_t i = 0; i < im.payload; i++) d->images[i] = lut[im.data[i]];
    for (size_t i = 0; i < lb.payload; i++) d->labels[i] = lb.data[i];
  }
  idx_close(&im);
  idx_close(&lb);
  if (st) return st;
  *out = d;
  return SYMCLONE_OK;
}

/* ---- writing ---- */

/* Write buf[0..n) into the file being saved, gzip-compressed if asked. */
static symclone_status write_content(const symclone_dataset *ds, sym_file_out *o,
                                     const char *path, const unsigned char *buf, size_t n,
                                     int gzip) {
  char eb[160];
  if (gzip) {
#if SYMCLONE_HAVE_ZLIB
    int fd2 = dup(o->fd);
    gzFile gz = fd2 >= 0 ? gzdopen(fd2, "wb") : NULL;
    if (!gz) {
      if (fd2 >= 0) close(fd2);
      return sym_fail(&ds->err, SYMCLONE_ERR_IO, "cannot start a gzip stream for %s", path);
    }
    symclone_status st = SYMCLONE_OK;
    for (size_t done = 0; !st && done < n;) {
      size_t want = n - done > GZ_CHUNK ? GZ_CHUNK : n - done;
      int w = gzwrite(gz, buf + done, (unsigned)want);
      if (w <= 0)
        st = sym_fail(&ds->err, SYMCLONE_ERR_IO, "cannot write %s", path);
      else
        done += (size_t)w;
    }
    if (gzclose(gz) != Z_OK && !st) st = sym_fail(&ds->err, SYMCLONE_ERR_IO, "cannot finish %s", path);
    return st;
#else
    (void)o;
    (void)buf;
    (void)n;
    return sym_fail(&ds->err, SYMCLONE_ERR_NOT_AVAILABLE, "gzip output needs zlib");
#endif
  }
  int e = sym_file_out_write(o, buf, n);
  if (e)
    return sym_fail(&ds->err, sym_file_status(e), "cannot write %s: %s", path,
                    sym_file_strerror(e, eb, sizeof eb));
  return SYMCLONE_OK;
}

/* What save_idx refuses before it allocates or writes anything. */
static symclone_status check_save(const symclone_dataset *ds, const char *images_path,
                                  const char *labels_path, int gzip) {
  char eb[160];
  if (!images_path || !labels_path)
    return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "images_path or labels_path is NULL");
#if !SYMCLONE_HAVE_ZLIB
  if (gzip)
    return sym_fail(&ds->err, SYMCLONE_ERR_NOT_AVAILABLE,
                    "gzip output needs zlib, which this build lacks");
#endif
  int same, e = sym_file_same(images_path, labels_path, &same);
  if (e)
    return sym_fail(&ds->err, sym_file_status(e), "cannot examine %s and %s: %s", images_path,
                    labels_path, sym_file_strerror(e, eb, sizeof eb));
  if (same)
    return sym_fail(&ds->err, SYMCLONE_ERR_PATH,
                    "%s and %s name the same file: the labels would replace the images",
                    images_path, labels_path);
  if ((uint64_t)ds->count > UINT32_MAX)
    return sym_fail(&ds->err, SYMCLONE_ERR_SIZE, "%zu images do not fit an IDX count", ds->count);
  for (size_t i = 0; i < ds->count; i++)
    if (ds->labels[i] > 255)
      return sym_fail(&ds->err, SYMCLONE_ERR_DATA, "label %d of item %zu does not fit an IDX byte",
                      ds->labels[i], i);
  return SYMCLONE_OK;
}

/* The two files' contents: images clamped to [0, 1] as bytes, labels. */
static void encode(const symclone_dataset *ds, size_t total, unsigned char *ib,
                   unsigned char *lb) {
  put_be32(ib, IDX_IMAGES_MAGIC);
  put_be32(ib + 4, (uint32_t)ds->count);
  put_be32(ib + 8, (uint32_t)ds->rows);
  put_be32(ib + 12, (uint32_t)ds->cols);
  for (size_t i = 0; i < total; i++) {
    float v = ds->images[i];
    v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    ib[16 + i] = (unsigned char)(v * 255.0f + 0.5f);
  }
  put_be32(lb, IDX_LABELS_MAGIC);
  put_be32(lb + 4, (uint32_t)ds->count);
  for (size_t i = 0; i < ds->count; i++) lb[8 + i] = (unsigned char)ds->labels[i];
}

symclone_status symclone_dataset_save_idx(const symclone_dataset *ds, const char *images_path,
                                          const char *labels_path, int gzip) {
  char eb[160];
  if (!ds) return SYMCLONE_ERR_NULL;
  symclone_status st = check_save(ds, images_path, labels_path, gzip);
  if (st) return st;
  size_t total = ds->count * ds->pixels, ibytes, lbytes = ds->count + 8;
  if (sym_add_size(total, 16, &ibytes))
    return sym_fail(&ds->err, SYMCLONE_ERR_OVERFLOW, "the images' size overflows");
  unsigned char *ib = sym_malloc(ibytes), *lb = sym_malloc(lbytes);
  if (!ib || !lb) st = sym_fail(&ds->err, SYMCLONE_ERR_NOMEM, "cannot allocate the file images");
  sym_file_out fi = {-1, -1, NULL, NULL, 0}, fl = {-1, -1, NULL, NULL, 0};
  int opened_i = 0, opened_l = 0, e;
  if (!st) {
    encode(ds, total, ib, lb);
    /* both files are complete on disk before either is put in place */
    e = sym_file_out_open(&fi, images_path);
    if (e)
      st = sym_fail(&ds->err, sym_file_status(e), "cannot write %s: %s", images_path,
                    sym_file_strerror(e, eb, sizeof eb));
    else
      opened_i = 1;
  }
  if (!st) {
    e = sym_file_out_open(&fl, labels_path);
    if (e)
      st = sym_fail(&ds->err, sym_file_status(e), "cannot write %s: %s", labels_path,
                    sym_file_strerror(e, eb, sizeof eb));
    else
      opened_l = 1;
  }
  if (!st) st = write_content(ds, &fi, images_path, ib, ibytes, gzip);
  if (!st) st = write_content(ds, &fl, labels_path, lb, lbytes, gzip);
  if (!st) {
    opened_i = 0;
    e = sym_file_out_commit(&fi);
    if (e)
      st = sym_fail(&ds->err, sym_file_status(e), "cannot put %s in place: %s", images_path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  if (!st) {
    opened_l = 0;
    e = sym_file_out_commit(&fl);
    if (e)
      st = sym_fail(&ds->err, sym_file_status(e), "cannot put %s in place: %s", labels_path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  if (opened_i) sym_file_out_discard(&fi);
  if (opened_l) sym_file_out_discard(&fl);
  sym_free(ib);
  sym_free(lb);
  return st;
}
