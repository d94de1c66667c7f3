/* Restricted students in the cloning examples; see restrict.h. */
#include "restrict.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int ex_list_subspaces(const symclone_group *group, int kernel) {
  int count;
  symclone_status st = symclone_group_subspace_count(group, kernel, &count);
  if (st) {
    fprintf(stderr, "%s: %s\n", ex_prog(), symclone_group_last_error(group));
    return 1;
  }
  printf("subspaces=%d\n", count);
  for (int i = 0; i < count; i++) {
    int dim;
    char name[96];
    if ((st = symclone_group_subspace_info(group, kernel, i, &dim, NULL, name, sizeof name))) {
      fprintf(stderr, "%s: %s\n", ex_prog(), symclone_group_last_error(group));
      return 1;
    }
    printf("subspace=%d dim=%d name=%s\n", i, dim, name);
  }
  return 0;
}

int ex_parse_subspaces(const char *text, const symclone_group *group, int kernel, int *idx,
                       int *dim) {
  int count, n = 0;
  if (symclone_group_subspace_count(group, kernel, &count)) {
    fprintf(stderr, "%s: --subspaces: %s\n", ex_prog(), symclone_group_last_error(group));
    return -1;
  }
  *dim = 0;
  for (const char *p = text;;) {
    char *end;
    if (!isdigit((unsigned char)*p)) goto not_a_list;
    long v = strtol(p, &end, 10);
    if (end == p || (*end && *end != ',')) goto not_a_list;
    if (v >= count) {
      fprintf(stderr, "%s: --subspaces: %ld is not one of the %d subspaces (--list-subspaces)\n",
              ex_prog(), v, count);
      return -1;
    }
    for (int j = 0; j < n; j++)
      if (idx[j] == (int)v) {
        fprintf(stderr, "%s: --subspaces: %ld is given twice\n", ex_prog(), v);
        return -1;
      }
    int d;
    symclone_group_subspace_info(group, kernel, (int)v, &d, NULL, NULL, 0);
    idx[n++] = (int)v;
    *dim += d;
    if (!*end) return n;
    p = end + 1;
  }
not_a_list:
  fprintf(stderr, "%s: --subspaces: '%s' is not a comma-separated list of subspace numbers\n",
          ex_prog(), text);
  return -1;
}

symclone_status ex_print_best(const symclone_student *s, double *best) {
  symclone_status st = symclone_student_best_loss(s, best);
  if (st) return st;
  printf("best_rel_loss=%.3e\n", *best);
  int count, idx[EX_SUBSPACE_MAX];
  if ((st = symclone_student_restriction(s, NULL, NULL, idx, EX_SUBSPACE_MAX, &count))) return st;
  printf("subspaces=");
  for (int i = 0; i < count; i++) printf("%s%d", i ? "," : "", idx[i]);
  printf("%s\n", count ? "" : "none");
  return SYMCLONE_OK;
}

void ex_side_add(ex_side_rows *t, const char *name, const symclone_student *s, double rel,
                 double best, double eq) {
  if (t->n == 8) return;
  int count = 0;
  symclone_student_restriction(s, NULL, NULL, NULL, 0, &count);
  snprintf(t->name[t->n], sizeof t->name[t->n], "%s", name);
  t->blocks[t->n] = symclone_student_blocks(s);
  t->restricted[t->n] = count > 0;
  t->rel[t->n] = rel;
  t->best[t->n] = best;
  t->eq[t->n] = eq;
  t->n++;
}

void ex_side_print(const ex_side_rows *t) {
  printf("side_by_side=student,blocks,restricted,rel_loss,best_rel_loss,equiv_err\n");
  for (int i = 0; i < t->n; i++)
    printf("row=%s,%d,%s,%.3e,%.3e,%.3e\n", t->name[i], t->blocks[i],
           t->restricted[i] ? "yes" : "no", t->rel[i], t->best[i], t->eq[i]);
}
