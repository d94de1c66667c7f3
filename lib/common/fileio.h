/* Private: little-endian encoding, CRC-32, the one atomic file writer and
 * the one way to open a file for reading, shared by every file format of
 * the library (students, IDX plain and gzip, PGM, PNG).
 *
 * Saving (docs/file-format.md, "Writing"):
 *  - a symbolic link is written through: the file it names (following
 *    every link of the chain) is replaced, in that file's directory, and
 *    the link stays a link;
 *  - a target that exists and is not a regular file (a directory, a
 *    device such as /dev/full, a FIFO, a socket) is refused
 *    (SYM_FILE_NOT_REGULAR): it is never replaced;
 *  - a target the caller may not write is refused: faccessat(W_OK) must
 *    allow it, and an existing file with no write bit for anyone is refused
 *    even where W_OK would allow it (root) (SYM_FILE_NO_WRITE_BIT, EACCES);
 *  - the new file keeps the permission bits of the file it replaces (and,
 *    where the caller may, its owner and group); a new file gets 0666 less
 *    the umask;
 *  - the content goes to a temporary file in the target's directory, is
 *    flushed to disk (fsync) and only then replaces the target in one
 *    step, so the target holds its old content or the whole new one.  On
 *    Linux the temporary file is unnamed (O_TMPFILE) and linked into place
 *    with linkat: a save killed while writing leaves nothing behind.
 *    Where O_TMPFILE is refused (EOPNOTSUPP, EISDIR, EINVAL: file systems
 *    and kernels without it, or no /proc to link it from) the temporary
 *    file is named `.<name>.symclone-tmp-XXXXXX` beside the target, made by
 *    mkstemp and renamed onto the target; only a save killed while
 *    writing leaves such a file.  Replacing an existing target from an
 *    unnamed file also passes through that name for the instant between
 *    linkat and rename.
 *  - A hard link to the target is not written through: the target's name
 *    gets the new file, the other names keep the old content. */
#ifndef SYMCLONE_FILEIO_H
#define SYMCLONE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include <symclone/common.h>

uint32_t sym_crc32(uint32_t crc, const void *data, size_t len);

void sym_put_u32(unsigned char *p, uint32_t v);
void sym_put_u64(unsigned char *p, uint64_t v);
uint32_t sym_get_u32(const unsigned char *p);
uint64_t sym_get_u64(const unsigned char *p);
void sym_put_f32(unsigned char *p, float v);
float sym_get_f32(const unsigned char *p);

/* Results of the functions below: 0, an errno value, or one of these. */
#define SYM_FILE_NOT_REGULAR (-1000)  /* exists and is not a regular file */
#define SYM_FILE_SAME (-1001)         /* two paths name one file */
#define SYM_FILE_NO_WRITE_BIT (-1002) /* an existing file nobody may write */
#define SYM_FILE_TOO_BIG (-1003)      /* larger than the caller's limit */

/* The status for a result: SYMCLONE_ERR_PATH (not regular, same file),
 * SYMCLONE_ERR_BUDGET (too big), SYMCLONE_ERR_NOMEM (ENOMEM),
 * SYMCLONE_ERR_IO (everything else). */
symclone_status sym_file_status(int e);

/* A short description of a result in buf (thread-safe); returns buf.
 * Permission errors name EACCES. */
const char *sym_file_strerror(int e, char *buf, size_t len);

/* A file being saved: sym_file_out_open, any number of writes to fd, then
 * sym_file_out_commit or sym_file_out_discard (each releases it). */
typedef struct sym_file_out {
  int fd;      /* the temporary file, open for writing */
  int dirfd;   /* the target's directory */
  char *name;  /* the target's name in that directory */
  char *tmp;   /* the temporary file's name, or NULL if unnamed */
  int replace; /* the target existed when opened */
} sym_file_out;

int sym_file_out_open(sym_file_out *o, const char *path);
/* Write len bytes to o->fd (retrying short writes and EINTR). */
int sym_file_out_write(sym_file_out *o, const void *data, size_t len);
/* Flush to disk and put the file in place of the target. */
int sym_file_out_commit(sym_file_out *o);
/* Drop the temporary file; the target is untouched. */
void sym_file_out_discard(sym_file_out *o);

/* Save len bytes at path under the policy above. */
int sym_write_file_atomic(const char *path, const void *data, size_t len);

/* *same = 1 if a and b name one file: the same file after following
 * symbolic links (by name, so that two paths of a file yet to be made
 * compare equal) or the same device and inode (hard links). */
int sym_file_same(const char *a, const char *b, int *same);

/* Open a file for reading without blocking on a FIFO or a device: opened
 * with O_NONBLOCK | O_NOCTTY, checked with fstat to be a regular file
 * (SYM_FILE_NOT_REGULAR otherwise, a directory included), then set back
 * to blocking reads.  *size is its length. */
int sym_file_open_read(const char *path, int *fd, uint64_t *size);

/* Read a whole regular file of at most max_len bytes (SYM_FILE_TOO_BIG if
 * larger, before allocating).  *data is sym_malloc'ed. */
int sym_read_file(const char *path, size_t max_len, unsigned char **data, size_t *len);

#endif
