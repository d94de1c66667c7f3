/* Private: little-endian encoding, CRC-32 and atomic file replacement,
 * shared by every file format of the library. */
#ifndef SYMCLONE_FILEIO_H
#define SYMCLONE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

uint32_t sym_crc32(uint32_t crc, const void *data, size_t len);

void sym_put_u32(unsigned char *p, uint32_t v);
void sym_put_u64(unsigned char *p, uint64_t v);
uint32_t sym_get_u32(const unsigned char *p);
uint64_t sym_get_u64(const unsigned char *p);
void sym_put_f32(unsigned char *p, float v);
float sym_get_f32(const unsigned char *p);

/* Write `len` bytes to path atomically: a temporary file in the same
 * directory, flushed and synced, then renamed over path.  On failure the
 * temporary file is removed and path is untouched.  Returns 0 or an errno
 * value. */
int sym_write_file_atomic(const char *path, const void *data, size_t len);

/* Returned by sym_read_file for a path that is neither a regular file nor
 * a directory (a device, a FIFO); sym_file_strerror() names it. */
#define EFTYPE_NOT_REGULAR (-1000)

/* Read a whole regular file of at most max_len bytes.  Returns 0, or an
 * errno value (EFBIG if larger than max_len, EISDIR for a directory,
 * EFTYPE_NOT_REGULAR for other non-regular files).  *data is sym_malloc'ed. */
int sym_read_file(const char *path, size_t max_len, unsigned char **data, size_t *len);

/* strerror() that also names EFTYPE_NOT_REGULAR. */
const char *sym_file_strerror(int e);

#endif
