/* Private: the parts shared by the safetensors and npz readers and writers
 * (<symclone/interchange.h>, docs/file-format.md "Interchange").
 *
 * A reader parses a whole file held in memory into a sym_ix_file (where
 * each tensor is, its shape, the metadata strings) without allocating;
 * sym_ix_build then checks the metadata, the geometry and the shapes
 * against each other and only then creates the student. */
#ifndef SYMCLONE_INTERCHANGE_PRIV_H
#define SYMCLONE_INTERCHANGE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "../common/internal.h"
#include "../student/student_priv.h"
#include <symclone/interchange.h>

#define SYM_IX_MAX_DIMS 8
#define SYM_IX_VALUE_LEN 64 /* longest metadata value kept, with its NUL */
#define SYM_IX_MSG_LEN 200

/* The tensors of a student export, in the order of the flat parameters. */
enum { SYM_IX_BLOCKS, SYM_IX_COEFFS, SYM_IX_TRANSFORMS, SYM_IX_TENSORS };
extern const char *const sym_ix_tensor_names[SYM_IX_TENSORS];

/* The metadata keys read back (others are ignored). */
enum {
  SYM_IX_FORMAT,
  SYM_IX_FORMAT_VERSION,
  SYM_IX_KIND,
  SYM_IX_GROUP,
  SYM_IX_ORIENTATIONS,
  SYM_IX_KERNEL,
  SYM_IX_HEIGHT,
  SYM_IX_WIDTH,
  SYM_IX_PADDING,
  SYM_IX_BLOCKS_META,
  SYM_IX_LIBRARY_VERSION,
  SYM_IX_META
};
extern const char *const sym_ix_meta_names[SYM_IX_META];

typedef struct sym_ix_tensor {
  int present;
  int ndim;
  uint64_t dims[SYM_IX_MAX_DIMS];
  const unsigned char *data; /* little-endian float32, nbytes of them */
  uint64_t nbytes;
} sym_ix_tensor;

typedef struct sym_ix_file {
  sym_ix_tensor tensor[SYM_IX_TENSORS];
  int has_meta; /* a metadata object was found */
  int meta_present[SYM_IX_META];
  char meta[SYM_IX_META][SYM_IX_VALUE_LEN];
} sym_ix_file;

/* A failure of a parser: its status and a message (without the path). */
typedef struct sym_ix_fail {
  symclone_status status;
  char msg[SYM_IX_MSG_LEN];
} sym_ix_fail;

symclone_status sym_ix_failf(sym_ix_fail *f, symclone_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The index of a tensor name (-1 if unknown). */
int sym_ix_tensor_index(const char *name);

/* The metadata values of a student, in the order of sym_ix_meta_names. */
void sym_ix_metadata(const symclone_student *s, char values[SYM_IX_META][SYM_IX_VALUE_LEN]);

/* The shape of tensor i of a student (ndim 0: absent). */
void sym_ix_shape(const symclone_student *s, int i, int *ndim, uint64_t dims[SYM_IX_MAX_DIMS]);
/* Its floats within the flat parameters. */
void sym_ix_span(const symclone_student *s, int i, size_t *offset, size_t *count);

/* A JSON text being read: the subset the formats use (objects, arrays,
 * strings, non-negative integers). */
typedef struct sym_json {
  const char *start, *p, *end;
} sym_json;

void sym_json_ws(sym_json *j);
/* Consume c (after white space) or fail. */
symclone_status sym_json_expect(sym_json *j, char c, sym_ix_fail *f);
/* Consume c after white space if it is next: 1, else 0. */
int sym_json_accept(sym_json *j, char c);
/* A string, decoded to UTF-8 into out (cap bytes with the NUL); *fits = 0
 * if it was longer (out then holds a prefix). */
symclone_status sym_json_string(sym_json *j, char *out, size_t cap, int *fits, sym_ix_fail *f);
/* A non-negative integer below 2^63. */
symclone_status sym_json_uint(sym_json *j, uint64_t *v, sym_ix_fail *f);
/* An object of string values into file->meta (known keys; others are
 * skipped; a known key twice is refused). */
symclone_status sym_json_metadata(sym_json *j, sym_ix_file *file, sym_ix_fail *f);

/* Readers: buf holds the whole file. */
symclone_status sym_ix_read_safetensors(const unsigned char *buf, size_t len, sym_ix_file *file,
                                        sym_ix_fail *f);
symclone_status sym_ix_read_npz(const unsigned char *buf, size_t len, sym_ix_file *file,
                                sym_ix_fail *f);

/* Writers: the whole file into a sym_malloc'ed buffer. */
symclone_status sym_ix_write_safetensors(const symclone_student *s, unsigned char **buf,
                                         size_t *len);
symclone_status sym_ix_write_npz(const symclone_student *s, unsigned char **buf, size_t *len);

/* Check a parsed file and make its student (*out only on success). */
symclone_status sym_ix_build(const sym_ix_file *file, symclone_student **out, sym_ix_fail *f);

#endif
