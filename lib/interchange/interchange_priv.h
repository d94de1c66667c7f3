/* Private: the parts shared by the safetensors and npz readers and writers
 * and by what is exported through them: students, networks and teacher
 * layers (<symclone/interchange.h>, docs/file-format.md "Interchange").
 *
 * A file is a list of named tensors and a list of metadata strings, a
 * sym_ix_file.  A reader parses a whole file held in memory into one (where
 * each tensor's bytes are, its dtype and shape, the metadata strings),
 * checking every offset and size against the file; only the two lists are
 * allocated, bounded by SYM_IX_MAX_TENSORS and SYM_IX_MAX_META.  What the
 * file becomes (a student, a network, a teacher layer) is then checked
 * against the lists before it is allocated.  A writer takes the same lists,
 * with the tensors' floats in memory, and makes the whole file. */
#ifndef SYMCLONE_INTERCHANGE_PRIV_H
#define SYMCLONE_INTERCHANGE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "../common/internal.h"
#include "../student/student_priv.h"
#include <symclone/interchange.h>

#define SYM_IX_MAX_DIMS 8
#define SYM_IX_NAME_LEN 96  /* longest tensor name kept, with its NUL */
#define SYM_IX_KEY_LEN 64   /* longest metadata key kept, with its NUL */
#define SYM_IX_VALUE_LEN 64 /* longest metadata value kept, with its NUL */
#define SYM_IX_MSG_LEN 240
#define SYM_IX_MAX_TENSORS 4096
#define SYM_IX_MAX_META 4096

/* The tensors of a student export, in the order of the flat parameters. */
enum { SYM_IX_BLOCKS, SYM_IX_COEFFS, SYM_IX_TRANSFORMS, SYM_IX_TENSORS };
extern const char *const sym_ix_tensor_names[SYM_IX_TENSORS];

/* The metadata keys of a student export. */
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
extern const char *const sym_ix_kind_names[6];    /* by symclone_student_kind */
extern const char *const sym_ix_padding_names[3]; /* by symclone_padding */

typedef struct sym_ix_tensor {
  char name[SYM_IX_NAME_LEN];
  int name_fits;     /* 0: the name was longer (name holds a prefix) */
  char dtype[16];    /* as the file spells it: "F32", "<f4", "<f8" */
  int elsize;        /* bytes per element */
  int ndim;
  uint64_t dims[SYM_IX_MAX_DIMS];
  uint64_t begin, end;       /* safetensors: data_offsets */
  const unsigned char *data; /* read: nbytes bytes, little-endian */
  uint64_t nbytes;
  const float *floats;       /* write: count floats */
  size_t count;
} sym_ix_tensor;

typedef struct sym_ix_meta {
  char key[SYM_IX_KEY_LEN];
  char value[SYM_IX_VALUE_LEN];
  int value_fits; /* 0: the value was longer (value holds a prefix) */
} sym_ix_meta;

typedef struct sym_ix_file {
  sym_ix_tensor *tensor;
  size_t ntensors, tcap;
  sym_ix_meta *meta;
  size_t nmeta, mcap;
  int has_meta; /* a metadata object was found */
} sym_ix_file;

/* Release the lists (the file struct itself is the caller's). */
void sym_ix_file_free(sym_ix_file *file);

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

/* ---- the lists ---- */

/* A new tensor named name (fits: 0 if the name was cut), zeroed but for its
 * name; a name given twice and too many tensors are refused. */
symclone_status sym_ix_new_tensor(sym_ix_file *file, const char *name, int fits,
                                  sym_ix_tensor **out, sym_ix_fail *f);
/* A tensor of floats to write (the floats are borrowed). */
symclone_status sym_ix_put_tensor(sym_ix_file *file, const char *name, int ndim,
                                  const uint64_t *dims, const float *floats, size_t count);
/* A metadata entry; a key given twice is refused when reading (check). */
symclone_status sym_ix_put_meta(sym_ix_file *file, const char *key, int value_fits,
                                const char *value, int check, sym_ix_fail *f);
/* The tensor of that name, or NULL. */
const sym_ix_tensor *sym_ix_find(const sym_ix_file *file, const char *name);
/* The metadata entry of that key, or NULL. */
const sym_ix_meta *sym_ix_meta_find(const sym_ix_file *file, const char *key);

/* The byte size of a safetensors dtype ("F32": 4), 0 if unknown. */
int sym_ix_dtype_size(const char *dtype);
/* The number of elements of a parsed shape (checked by the reader). */
uint64_t sym_ix_elements(const sym_ix_tensor *t);
/* A tensor's element e as a float: F32/<f4 or F64/<f8 (rounded). */
double sym_ix_value(const sym_ix_tensor *t, uint64_t e);
/* 1 if the tensor is float32 (F32, '<f4'); 2 if float64 (F64, '<f8'). */
int sym_ix_float_kind(const sym_ix_tensor *t);
/* "[a, b, c]" */
void sym_ix_shape_text(int ndim, const uint64_t *dims, char *buf, size_t len);

/* ---- students ---- */

/* The metadata values of a student, in the order of sym_ix_meta_names. */
void sym_ix_metadata(const symclone_student *s, char values[SYM_IX_META][SYM_IX_VALUE_LEN]);
/* The shape of tensor i of a student (ndim 0: absent). */
void sym_ix_shape(const symclone_student *s, int i, int *ndim, uint64_t dims[SYM_IX_MAX_DIMS]);
/* Its floats within the flat parameters. */
void sym_ix_span(const symclone_student *s, int i, size_t *offset, size_t *count);

/* The student's tensors (params in the student's layout) and metadata into
 * file, each tensor name prefixed with tprefix and each metadata key with
 * mprefix; with mprefix "" (a student export) the keys format,
 * format_version and library_version too. */
symclone_status sym_ix_student_put(sym_ix_file *file, const symclone_student *s,
                                   const float *params, const char *tprefix, const char *mprefix);
/* Check the tensors and metadata (names prefixed as above) of a student
 * against each other and make it (*out only on success).  With mprefix ""
 * the format keys are required and checked. */
symclone_status sym_ix_student_build(const sym_ix_file *file, const char *tprefix,
                                     const char *mprefix, symclone_student **out, sym_ix_fail *f);

/* ---- JSON ---- */

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
/* An object of string values into file's metadata (a key twice is
 * refused). */
symclone_status sym_json_metadata(sym_json *j, sym_ix_file *file, sym_ix_fail *f);

/* ---- formats ---- */

/* Readers: buf holds the whole file. */
symclone_status sym_ix_read_safetensors(const unsigned char *buf, size_t len, sym_ix_file *file,
                                        sym_ix_fail *f);
symclone_status sym_ix_read_npz(const unsigned char *buf, size_t len, sym_ix_file *file,
                                sym_ix_fail *f);
/* One .npy file (`what` names it in messages: "entry 'x.npy'"): its
 * descr, shape and data into t (dtype = descr, elsize), the data's size
 * checked against the shape. */
symclone_status sym_ix_read_npy(const char *entry, const unsigned char *d, uint64_t size,
                                sym_ix_tensor *t, sym_ix_fail *f);

/* Writers: the whole file into a sym_malloc'ed buffer. */
symclone_status sym_ix_write_safetensors(const sym_ix_file *file, unsigned char **buf,
                                         size_t *len);
symclone_status sym_ix_write_npz(const sym_ix_file *file, unsigned char **buf, size_t *len);

/* Write file at path in format (the atomic writer); the message into err. */
symclone_status sym_ix_write(const sym_ix_file *file, const char *path, symclone_format format,
                             const sym_err *err);
/* Read the file at path whole (the loader's budget) and parse it by its
 * content; on failure the message (path, format) is on the loader and
 * *buf is freed.  *len is the file's length, *what names the format. */
symclone_status sym_ix_load(const char *path, symclone_loader *loader, unsigned char **buf,
                            size_t *len, sym_ix_file *file, const char **what, sym_ix_fail *f);

#endif
