/* NumPy .npz (docs/file-format.md, "Interchange"): a zip archive of
 * stored (uncompressed) entries "<tensor>.npy" and "__metadata__.npy".
 *
 * An .npy file (NPY format 1.0) is the magic "\x93NUMPY", the version
 * bytes 1 and 0, a u16 little-endian header length H, the header (a Python
 * dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (a, b), }
 * padded with spaces and ended by a newline so that the data starts at a
 * multiple of 64), then the data in C order.  Versions 2.0 and 3.0 (a u32
 * header length) are read too.
 *
 * The reader trusts the central directory for sizes and offsets, checks
 * each local header against it, and checks every entry's CRC-32.  Zip64
 * archives, compressed, encrypted and split archives are refused. */
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "interchange_priv.h"

#define META_ENTRY "__metadata__"
#define MAX_ENTRIES SYM_IX_MAX_TENSORS
#define LOCAL_SIZE 30u
#define CENTRAL_SIZE 46u
#define END_SIZE 22u
#define DOS_DATE 0x0021u /* 1980-01-01 */

/* ---- writing ---- */

/* The .npy header for a shape and descr, padded to a multiple of 64 with
 * the prefix; returns its length (prefix included) or 0 if too long. */
static size_t npy_header(unsigned char *h, size_t cap, const char *descr, int ndim,
                         const uint64_t *dims) {
  char dict[256];
  size_t n = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                              descr);
  for (int d = 0; d < ndim && n < sizeof dict; d++)
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%llu%s", (unsigned long long)dims[d],
                          d + 1 < ndim ? ", " : ndim == 1 ? "," : "");
  if (n < sizeof dict) n += (size_t)snprintf(dict + n, sizeof dict - n, "), }");
  if (n >= sizeof dict) return 0;
  size_t total = (10 + n + 1 + 63) / 64 * 64;
  if (total > cap) return 0;
  memcpy(h, "\x93NUMPY\x01\x00", 8);
  h[8] = (unsigned char)((total - 10) & 0xff);
  h[9] = (unsigned char)((total - 10) >> 8);
  memcpy(h + 10, dict, n);
  memset(h + 10 + n, ' ', total - 10 - n - 1);
  h[total - 1] = '\n';
  return total;
}

typedef struct zip_entry {
  char name[SYM_IX_NAME_LEN + 8];
  unsigned char header[320];
  size_t hlen;
  const float *floats; /* or bytes */
  const unsigned char *bytes;
  size_t count; /* floats or bytes */
  size_t size;  /* hlen + data */
  uint32_t crc;
  size_t offset; /* of its local header */
} zip_entry;

static symclone_status write_archive(zip_entry *e, size_t ne, unsigned char **out,
                                     size_t *out_len);

static void put_u16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)((v >> 8) & 0xff);
}

symclone_status sym_ix_write_npz(const sym_ix_file *file, unsigned char **out,
                                 size_t *out_len) {
  /* the metadata as one JSON object: measured, then written */
  size_t jn = 2;
  for (size_t i = 0; i < file->nmeta; i++)
    jn += strlen(file->meta[i].key) + strlen(file->meta[i].value) + 8;
  char *json = sym_malloc(jn + 1);
  size_t ne = file->ntensors + 1;
  zip_entry *e = sym_malloc_array(ne, sizeof *e);
  if (!json || !e) {
    sym_free(json);
    sym_free(e);
    return SYMCLONE_ERR_NOMEM;
  }
  size_t at = (size_t)snprintf(json, jn + 1, "{");
  for (size_t i = 0; i < file->nmeta; i++)
    at += (size_t)snprintf(json + at, jn + 1 - at, "%s\"%s\": \"%s\"", i ? ", " : "",
                           file->meta[i].key, file->meta[i].value);
  at += (size_t)snprintf(json + at, jn + 1 - at, "}");
  jn = at;
  for (size_t i = 0; i < file->ntensors; i++) {
    const sym_ix_tensor *t = &file->tensor[i];
    snprintf(e[i].name, sizeof e[i].name, "%s.npy", t->name);
    e[i].hlen = npy_header(e[i].header, sizeof e[i].header, "<f4", t->ndim, t->dims);
    e[i].count = t->count;
    e[i].floats = t->floats;
    e[i].bytes = NULL;
  }
  uint64_t jdim = jn;
  zip_entry *m = &e[ne - 1];
  snprintf(m->name, sizeof m->name, "%s.npy", META_ENTRY);
  m->hlen = npy_header(m->header, sizeof m->header, "|u1", 1, &jdim);
  m->floats = NULL;
  m->bytes = (const unsigned char *)json;
  m->count = jn;
  symclone_status st = write_archive(e, ne, out, out_len);
  sym_free(json);
  sym_free(e);
  return st;
}

/* The archive of the entries in one buffer: every entry's local header and
 * .npy data, then the central directory and its end record. */
static symclone_status write_archive(zip_entry *e, size_t ne, unsigned char **out,
                                     size_t *out_len) {
  if (ne > 0xfffe) return SYMCLONE_ERR_OVERFLOW;
  size_t len = 0, cd_size = 0;
  for (size_t i = 0; i < ne; i++) {
    size_t data = e[i].floats ? e[i].count : 0;
    if (!e[i].hlen || sym_mul_size(data, 4, &data) ||
        sym_add_size(data, e[i].hlen + (e[i].floats ? 0 : e[i].count), &e[i].size) ||
        e[i].size > UINT32_MAX)
      return SYMCLONE_ERR_OVERFLOW;
    e[i].offset = len;
    size_t nl = strlen(e[i].name);
    if (sym_add_size(len, LOCAL_SIZE + nl, &len) || sym_add_size(len, e[i].size, &len))
      return SYMCLONE_ERR_OVERFLOW;
    cd_size += CENTRAL_SIZE + nl;
  }
  size_t cd_offset = len;
  if (sym_add_size(len, cd_size + END_SIZE, &len) || len > UINT32_MAX)
    return SYMCLONE_ERR_OVERFLOW;
  unsigned char *buf = sym_malloc(len);
  if (!buf) return SYMCLONE_ERR_NOMEM;
  memset(buf, 0, len);
  for (size_t i = 0; i < ne; i++) {
    size_t nl = strlen(e[i].name);
    unsigned char *d = buf + e[i].offset + LOCAL_SIZE + nl;
    memcpy(d, e[i].header, e[i].hlen);
    if (e[i].floats)
      for (size_t k = 0; k < e[i].count; k++) sym_put_f32(d + e[i].hlen + 4 * k, e[i].floats[k]);
    else
      memcpy(d + e[i].hlen, e[i].bytes, e[i].count);
    e[i].crc = sym_crc32(0, d, e[i].size);
    unsigned char *l = buf + e[i].offset;
    sym_put_u32(l, 0x04034b50u);
    put_u16(l + 4, 20);       /* version needed */
    put_u16(l + 6, 0);        /* flags */
    put_u16(l + 8, 0);        /* stored */
    put_u16(l + 10, 0);       /* time */
    put_u16(l + 12, DOS_DATE);
    sym_put_u32(l + 14, e[i].crc);
    sym_put_u32(l + 18, (uint32_t)e[i].size);
    sym_put_u32(l + 22, (uint32_t)e[i].size);
    put_u16(l + 26, (unsigned)nl);
    put_u16(l + 28, 0);
    memcpy(l + LOCAL_SIZE, e[i].name, nl);
  }
  unsigned char *c = buf + cd_offset;
  for (size_t i = 0; i < ne; i++) {
    size_t nl = strlen(e[i].name);
    sym_put_u32(c, 0x02014b50u);
    put_u16(c + 4, 0x0314);   /* made by: Unix, 2.0 */
    put_u16(c + 6, 20);
    put_u16(c + 12, 0);
    put_u16(c + 14, DOS_DATE);
    sym_put_u32(c + 16, e[i].crc);
    sym_put_u32(c + 20, (uint32_t)e[i].size);
    sym_put_u32(c + 24, (uint32_t)e[i].size);
    put_u16(c + 28, (unsigned)nl);
    sym_put_u32(c + 38, 0100644u << 16); /* a regular file, rw-r--r-- */
    sym_put_u32(c + 42, (uint32_t)e[i].offset);
    memcpy(c + CENTRAL_SIZE, e[i].name, nl);
    c += CENTRAL_SIZE + nl;
  }
  sym_put_u32(c, 0x06054b50u);
  put_u16(c + 8, (unsigned)ne);
  put_u16(c + 10, (unsigned)ne);
  sym_put_u32(c + 12, (uint32_t)cd_size);
  sym_put_u32(c + 16, (uint32_t)cd_offset);
  *out = buf;
  *out_len = len;
  return SYMCLONE_OK;
}

/* ---- reading ---- */

static unsigned get_u16(const unsigned char *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }

/* The value of a Python string literal in '...' or "..." (no escapes). */
static symclone_status py_string(sym_json *j, char *out, size_t cap, sym_ix_fail *f) {
  sym_json_ws(j);
  if (j->p >= j->end || (*j->p != '\'' && *j->p != '"'))
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "npy header byte %zu: expected a string",
                        (size_t)(j->p - j->start));
  char q = *j->p++;
  size_t n = 0;
  while (j->p < j->end && *j->p != q) {
    if (*j->p == '\\' || (unsigned char)*j->p < 0x20 || n + 1 >= cap)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "npy header byte %zu: bad string",
                          (size_t)(j->p - j->start));
    out[n++] = *j->p++;
  }
  if (j->p >= j->end)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "npy header: unterminated string");
  j->p++;
  out[n] = '\0';
  return SYMCLONE_OK;
}

static int accept_word(sym_json *j, const char *w) {
  sym_json_ws(j);
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
    j->p += n;
    return 1;
  }
  return 0;
}

/* An .npy file: its descr, shape and data.  Version 1.0 has a u16 header
 * length, 2.0 and 3.0 a u32; the element size comes from the descr:
 * little-endian or byte-sized numbers ('<f4', '<f8', '|u1', ...) only. */
symclone_status sym_ix_read_npy(const char *entry, const unsigned char *d, uint64_t size,
                                sym_ix_tensor *t, sym_ix_fail *f) {
  if (size < 10 || memcmp(d, "\x93NUMPY", 6) != 0)
    return sym_ix_failf(f, size < 10 && size >= 6 && memcmp(d, "\x93NUMPY", 6) == 0
                               ? SYMCLONE_ERR_TRUNCATED
                               : SYMCLONE_ERR_CORRUPT,
                        "%s is not an .npy file", entry);
  unsigned major = d[6];
  uint64_t hstart, hlen;
  if (major == 1) {
    hstart = 10, hlen = get_u16(d + 8);
  } else if (major == 2 || major == 3) {
    if (size < 12) return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED, "%s: truncated", entry);
    hstart = 12, hlen = sym_get_u32(d + 8);
  } else {
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "%s: NPY format version %u.%u",
                        entry, major, d[7]);
  }
  if (hlen > size - hstart)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: npy header length %llu beyond the entry",
                        entry, (unsigned long long)hlen);
  sym_json j = {(const char *)d + hstart, (const char *)d + hstart,
                (const char *)d + hstart + hlen};
  symclone_status st = sym_json_expect(&j, '{', f);
  if (st) return sym_ix_failf(f, st, "%s: npy header is not a dict", entry);
  int have_descr = 0, have_order = 0, have_shape = 0;
  while (!sym_json_accept(&j, '}')) {
    char key[32];
    if ((st = py_string(&j, key, sizeof key, f))) return st;
    if ((st = sym_json_expect(&j, ':', f))) return st;
    if (strcmp(key, "descr") == 0 && !have_descr) {
      if ((st = py_string(&j, t->dtype, sizeof t->dtype, f))) return st;
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
      if (accept_word(&j, "True"))
        return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "%s is in Fortran order", entry);
      if (!accept_word(&j, "False"))
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: bad fortran_order", entry);
      have_order = 1;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      if ((st = sym_json_expect(&j, '(', f))) return st;
      t->ndim = 0;
      while (!sym_json_accept(&j, ')')) {
        if (t->ndim == SYM_IX_MAX_DIMS)
          return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s has more than %d dims", entry,
                              SYM_IX_MAX_DIMS);
        if ((st = sym_json_uint(&j, &t->dims[t->ndim], f))) return st;
        t->ndim++;
        if (!sym_json_accept(&j, ',')) {
          if ((st = sym_json_expect(&j, ')', f))) return st;
          break;
        }
      }
      have_shape = 1;
    } else {
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: unexpected or repeated key '%s'",
                          entry, key);
    }
    if (!sym_json_accept(&j, ',')) {
      if ((st = sym_json_expect(&j, '}', f))) return st;
      break;
    }
  }
  sym_json_ws(&j);
  if (j.p != j.end)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: text after the npy header dict",
                        entry);
  if (!have_descr || !have_order || !have_shape)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: npy header lacks '%s'", entry,
                        !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
  uint64_t data = size - hstart - hlen, count = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dims[i] && count > data / t->dims[i])
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: shape larger than the entry",
                          entry);
    count *= t->dims[i];
  }
  const char *ds = t->dtype;
  int size_ok = (ds[0] == '<' || ds[0] == '|') && ds[1] && strchr("fiub", ds[1]) &&
                ds[2] >= '1' && ds[2] <= '8' && ds[3] == '\0';
  t->elsize = size_ok ? ds[2] - '0' : 0;
  if (!t->elsize)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                        "%s has descr '%s'; only little-endian numbers ('<f4', '<f8') are read",
                        entry, ds);
  if (count > data / (uint64_t)t->elsize)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "%s: its shape needs more than its %llu data bytes", entry,
                        (unsigned long long)data);
  if ((uint64_t)t->elsize * count != data)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%s: %llu data bytes, its shape needs %llu",
                        entry, (unsigned long long)data,
                        (unsigned long long)((uint64_t)t->elsize * count));
  t->data = d + hstart + hlen;
  t->nbytes = data;
  return SYMCLONE_OK;
}

/* The archive's end record, then each central-directory entry against its
 * local header and its .npy contents, every offset and size checked
 * before it is used.  One function of about 90 lines: the checks follow
 * the archive's order and share its bounds. */
symclone_status sym_ix_read_npz(const unsigned char *buf, size_t len, sym_ix_file *file,
                                sym_ix_fail *f) {
  if (len < END_SIZE)
    return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED, "%zu bytes, too short for a zip archive", len);
  /* the end record: the last signature whose comment reaches the end */
  size_t end = len - END_SIZE, lowest = len - END_SIZE > 65535 ? len - END_SIZE - 65535 : 0;
  for (;;) {
    if (sym_get_u32(buf + end) == 0x06054b50u && end + END_SIZE + get_u16(buf + end + 20) == len)
      break;
    if (end == lowest)
      return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED, "no zip end record: cut short or not a zip");
    end--;
  }
  const unsigned char *r = buf + end;
  unsigned disk = get_u16(r + 4), cd_disk = get_u16(r + 6);
  unsigned here = get_u16(r + 8), total = get_u16(r + 10);
  uint64_t cd_size = sym_get_u32(r + 12), cd_offset = sym_get_u32(r + 16);
  if (here == 0xffff || total == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "a zip64 archive");
  if (disk != 0 || cd_disk != 0 || here != total)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "a split zip archive");
  if (total > MAX_ENTRIES)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%u entries, more than %d", total, MAX_ENTRIES);
  if (cd_offset > end || cd_size > end - cd_offset)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "central directory at %llu (%llu bytes) beyond the end record at %zu",
                        (unsigned long long)cd_offset, (unsigned long long)cd_size, end);
  uint64_t pos = cd_offset;
  for (unsigned k = 0; k < total; k++) {
    if (cd_offset + cd_size - pos < CENTRAL_SIZE || sym_get_u32(buf + pos) != 0x02014b50u)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "central directory entry %u is bad", k);
    const unsigned char *c = buf + pos;
    unsigned flags = get_u16(c + 8), method = get_u16(c + 10);
    uint32_t crc = sym_get_u32(c + 16);
    uint64_t csize = sym_get_u32(c + 20), usize = sym_get_u32(c + 24);
    unsigned nl = get_u16(c + 28), xl = get_u16(c + 30), cl = get_u16(c + 32);
    uint64_t local = sym_get_u32(c + 42);
    if (cd_offset + cd_size - pos - CENTRAL_SIZE < (uint64_t)nl + xl + cl)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "central directory entry %u overruns it", k);
    char name[SYM_IX_NAME_LEN + 4];
    if (nl == 0 || nl >= sizeof name || memchr(c + CENTRAL_SIZE, 0, nl))
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry %u has a bad name", k);
    memcpy(name, c + CENTRAL_SIZE, nl);
    name[nl] = '\0';
    pos += CENTRAL_SIZE + (uint64_t)nl + xl + cl;
    if (flags & 1) return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "entry '%s' is encrypted", name);
    if (method != 0)
      return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                          "entry '%s' is compressed (method %u); only stored entries are read "
                          "(numpy.savez, not savez_compressed)",
                          name, method);
    if (csize != usize)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "stored entry '%s': sizes %llu and %llu differ",
                          name, (unsigned long long)csize, (unsigned long long)usize);
    if (csize == 0xffffffffu || local == 0xffffffffu)
      return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "entry '%s' is a zip64 entry", name);
    if (nl < 5 || strcmp(name + nl - 4, ".npy") != 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s' is not an .npy file", name);
    name[nl - 4] = '\0';
    int meta = strcmp(name, META_ENTRY) == 0;
    if (meta ? file->has_meta : sym_ix_find(file, name) != NULL)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s.npy' given twice", name);
    /* the local header: before the central directory, naming the same entry */
    if (local > cd_offset || cd_offset - local < LOCAL_SIZE ||
        sym_get_u32(buf + local) != 0x04034b50u)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s.npy': bad local header offset %llu",
                          name, (unsigned long long)local);
    const unsigned char *l = buf + local;
    unsigned lnl = get_u16(l + 26), lxl = get_u16(l + 28);
    uint64_t data = local + LOCAL_SIZE + lnl + lxl;
    if (lnl != nl || data > cd_offset || memcmp(l + LOCAL_SIZE, c + CENTRAL_SIZE, nl) != 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s.npy': local header does not match",
                          name);
    if (get_u16(l + 8) != 0)
      return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "entry '%s.npy' is compressed", name);
    if (csize > cd_offset - data)
      return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED,
                          "entry '%s.npy': %llu bytes run into the central directory", name,
                          (unsigned long long)csize);
    if (sym_crc32(0, buf + data, (size_t)csize) != crc)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s.npy': CRC-32 mismatch", name);
    sym_ix_tensor t;
    memset(&t, 0, sizeof t);
    char ename[SYM_IX_NAME_LEN + 8], what[SYM_IX_NAME_LEN + 16];
    snprintf(ename, sizeof ename, "%s.npy", name);
    snprintf(what, sizeof what, "entry '%s'", ename);
    symclone_status st = sym_ix_read_npy(what, buf + data, csize, &t, f);
    if (st) return st;
    if (meta) {
      if (strcmp(t.dtype, "|u1") != 0 && strcmp(t.dtype, "<u1") != 0 && strcmp(t.dtype, "|i1") != 0)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s' has descr '%s', not '|u1'",
                            ename, t.dtype);
      if (t.ndim != 1)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s': %llu bytes for its shape",
                            ename, (unsigned long long)t.nbytes);
      sym_json j = {(const char *)t.data, (const char *)t.data, (const char *)t.data + t.nbytes};
      if ((st = sym_json_metadata(&j, file, f))) return st;
      sym_json_ws(&j);
      if (j.p != j.end)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "entry '%s': text after the JSON object",
                            ename);
      continue;
    }
    sym_ix_tensor *nt;
    if ((st = sym_ix_new_tensor(file, name, 1, &nt, f))) return st;
    memcpy(nt->dtype, t.dtype, sizeof t.dtype);
    nt->elsize = t.elsize;
    nt->ndim = t.ndim;
    memcpy(nt->dims, t.dims, sizeof t.dims);
    nt->data = t.data;
    nt->nbytes = t.nbytes;
  }
  return SYMCLONE_OK;
}
