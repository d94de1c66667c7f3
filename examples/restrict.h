/* Restricted students in the cloning examples (examples/restrict.c, built
 * with common.c): the --list-subspaces listing, the --subspaces list, and
 * the figures that set a restricted student beside the unrestricted ones. */
#ifndef SYMCLONE_EXAMPLES_RESTRICT_H
#define SYMCLONE_EXAMPLES_RESTRICT_H

#include <symclone/symclone.h>

#define EX_SUBSPACE_MAX 1024

/* Print the invariant subspaces of the kernel x kernel filter space under
 * `group` as name=value lines (subspaces=COUNT, then for each one
 * subspace=I dim=D name=...).  0, or 1 after a message. */
int ex_list_subspaces(const symclone_group *group, int kernel);

/* Parse "I,J,..." (indices of that listing, each once) into idx; the count,
 * with *dim the sum of their dimensions, or -1 after a message on stderr
 * (not a list of whole numbers, an index out of range, given twice). */
int ex_parse_subspaces(const char *text, const symclone_group *group, int kernel, int *idx,
                       int *dim);

/* best_rel_loss=, the closed-form best relative loss of the student's
 * geometry and blocks, and subspaces=, its restriction (I,J,... or none). */
symclone_status ex_print_best(const symclone_student *s, double *best);

/* The side-by-side table of the students of one run, collected one row at
 * a time and printed as name=value lines: side_by_side=student,blocks,
 * restricted,rel_loss,best_rel_loss,equiv_err and one row= line each. */
typedef struct ex_side_rows {
  char name[8][40];
  int blocks[8], restricted[8], n;
  double rel[8], best[8], eq[8];
} ex_side_rows;

void ex_side_add(ex_side_rows *t, const char *name, const symclone_student *s, double rel,
                 double best, double eq);
void ex_side_print(const ex_side_rows *t);

#endif
