#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

int fuzz_memfile(const void *data, size_t len, char *path, size_t path_len) {
  int fd = memfd_create("symclone-fuzz", MFD_CLOEXEC);
  if (fd < 0) return -1;
  const unsigned char *p = data;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, p + done, len - done);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  snprintf(path, path_len, "/proc/self/fd/%d", fd);
  return fd;
}

static char tmpdir[64];

static void remove_tmpdir(void) {
  if (tmpdir[0]) rmdir(tmpdir);
}

const char *fuzz_tmpdir(void) {
  if (!tmpdir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/symclone-fuzz.XXXXXX",
             base && *base && strlen(base) < 32 ? base : "/tmp");
    if (!mkdtemp(tmpdir)) abort();
    atexit(remove_tmpdir);
  }
  return tmpdir;
}
