#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int sym_write_file_atomic(const char *path, const void *data, size_t len) {
  size_t plen = strlen(path);
  char *tmp = sym_malloc(plen + 16);
  if (!tmp) return ENOMEM;
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp.XXXXXX", 12);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    sym_free(tmp);
    return e;
  }
  const unsigned char *p = data;
  size_t done = 0;
  int err = 0;
  while (done < len) {
    ssize_t w = write(fd, p + done, len - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += (size_t)w;
  }
  if (!err && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && !err) err = errno;
  if (!err) {
    /* files are created 0600 by mkstemp; give them the usual mode */
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0666 & ~mask);
    if (rename(tmp, path) != 0) err = errno;
  }
  if (err) unlink(tmp);
  sym_free(tmp);
  return err;
}

int sym_read_file(const char *path, size_t max_len, unsigned char **data, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return S_ISDIR(sb.st_mode) ? EISDIR : EFTYPE_NOT_REGULAR;
  }
  if ((uint64_t)sb.st_size > (uint64_t)max_len) {
    close(fd);
    return EFBIG;
  }
  size_t size = (size_t)sb.st_size;
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
      int e = errno;
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

const char *sym_file_strerror(int e) {
  return e == EFTYPE_NOT_REGULAR ? "not a regular file" : strerror(e);
}
