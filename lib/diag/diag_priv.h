/* Private: what the diagnostics share - error messages into a caller
 * buffer, and the action of a group on the input and output fields of an
 * operator (group.h conventions, the output torus of T2 included). */
#ifndef SYMCLONE_DIAG_PRIV_H
#define SYMCLONE_DIAG_PRIV_H

#include "../common/internal.h"
#include <symclone/diag.h>

/* Write a message into errbuf (if any) and return status. */
symclone_status sym_diag_fail(char *errbuf, size_t errlen, symclone_status status,
                              const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* errbuf = "" (success). */
void sym_diag_clear(char *errbuf, size_t errlen);

/* One field shape. */
typedef struct sym_field {
  int c, n, h, w;
  size_t size;   /* c*n*h*w floats */
  size_t planes; /* c*n planes of h*w */
} sym_field;

/* A group acting on the input fields and its counterpart on the output
 * fields: the same group for Cn, the T2 group of the output torus for T2. */
typedef struct sym_actions {
  const symclone_group *group;
  const symclone_group *out_group;
  symclone_group *owned; /* output torus, freed by sym_actions_free */
  symclone_group_kind kind;
  int order;
  sym_field in, out;
} sym_actions;

/* Validate the shapes against the group (NULL, SIZE, OVERFLOW, SHAPE,
 * GROUP) and set up the output action.  On failure nothing is owned. */
symclone_status sym_actions_init(sym_actions *a, const symclone_group *group,
                                 const int in_shape[4], const int out_shape[4], char *errbuf,
                                 size_t errlen);
void sym_actions_free(sym_actions *a);

/* For T2: the shift of element g written signed, sy in (-H/2, H/2] and
 * sx in (-W/2, W/2] of the input torus.  (0, 0) for Cn. */
void sym_actions_signed_shift(const sym_actions *a, int g, int *sy, int *sx);

/* The element acting on the output for input element g. */
int sym_actions_out_element(const sym_actions *a, int g);

/* Apply input element g (the output counterpart if `output`) to `count`
 * consecutive fields of the input (output) shape; in and out must not
 * overlap.  The group's message is copied to errbuf on failure. */
symclone_status sym_actions_apply(const sym_actions *a, int output, int g, size_t count,
                                  const float *in, float *out, char *errbuf, size_t errlen);

#endif
