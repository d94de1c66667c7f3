/* The group actions on the input and output fields of an operator. */
#include <limits.h>

#include "diag_priv.h"

static symclone_status field_init(sym_field *f, const int shape[4]) {
  if (!shape) return SYMCLONE_ERR_NULL;
  if (shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[3] < 1) return SYMCLONE_ERR_SIZE;
  f->c = shape[0];
  f->n = shape[1];
  f->h = shape[2];
  f->w = shape[3];
  size_t planes, hw;
  if (sym_mul_size((size_t)f->c, (size_t)f->n, &planes) ||
      sym_mul_size((size_t)f->h, (size_t)f->w, &hw) || sym_mul_size(planes, hw, &f->size) ||
      f->size > (size_t)INT_MAX)
    return SYMCLONE_ERR_OVERFLOW;
  f->planes = planes;
  return SYMCLONE_OK;
}

/* Cn and Dn: a planar field or a group field of `order` orientations;
 * square if the group has quarter turns (`rotations` divisible by 4). */
static symclone_status check_rotation_field(const sym_field *f, int order, int rotations) {
  if (f->n != 1 && f->n != order) return SYMCLONE_ERR_GROUP;
  if (rotations % 4 == 0 && f->h != f->w) return SYMCLONE_ERR_SHAPE;
  return SYMCLONE_OK;
}

symclone_status sym_actions_init(sym_actions *a, const symclone_group *group,
                                 const int in_shape[4], const int out_shape[4]) {
  if (!group) return SYMCLONE_ERR_NULL;
  a->group = a->out_group = group;
  a->owned = NULL;
  a->kind = symclone_group_kind_of(group);
  a->order = symclone_group_order(group);
  symclone_status st;
  if ((st = field_init(&a->in, in_shape)) || (st = field_init(&a->out, out_shape))) return st;
  if (a->kind == SYMCLONE_GROUP_T2) {
    int th, tw; /* the torus: the largest shift is (H-1, W-1) */
    if ((st = symclone_group_t2_shift(group, a->order - 1, &th, &tw))) return st;
    if (a->in.h != th + 1 || a->in.w != tw + 1) return SYMCLONE_ERR_SHAPE;
    if ((st = symclone_group_create_t2(&a->owned, a->out.h, a->out.w))) return st;
    a->out_group = a->owned;
  } else {
    int rotations = a->kind == SYMCLONE_GROUP_DIHEDRAL ? a->order / 2 : a->order;
    if ((st = check_rotation_field(&a->in, a->order, rotations)) ||
        (st = check_rotation_field(&a->out, a->order, rotations)))
      return st;
  }
  return SYMCLONE_OK;
}

void sym_actions_free(sym_actions *a) {
  symclone_group_free(a->owned);
  a->owned = NULL;
}

void sym_actions_signed_shift(const sym_actions *a, int g, int *sy, int *sx) {
  int dy = 0, dx = 0;
  if (a->kind == SYMCLONE_GROUP_T2) {
    symclone_group_t2_shift(a->group, g, &dy, &dx);
    if (dy > a->in.h / 2) dy -= a->in.h;
    if (dx > a->in.w / 2) dx -= a->in.w;
  }
  *sy = dy;
  *sx = dx;
}

int sym_actions_out_element(const sym_actions *a, int g) {
  if (a->kind != SYMCLONE_GROUP_T2) return g;
  int sy, sx, e = 0;
  sym_actions_signed_shift(a, g, &sy, &sx);
  symclone_group_t2_element(a->out_group, sy, sx, &e);
  return e;
}

symclone_status sym_actions_apply(const sym_actions *a, int output, int g, size_t count,
                                  const float *in, float *out, const sym_err *e) {
  const sym_field *f = output ? &a->out : &a->in;
  const symclone_group *grp = output ? a->out_group : a->group;
  int el = output ? sym_actions_out_element(a, g) : g;
  size_t ch;
  if (sym_mul_size((size_t)f->c, count, &ch) || ch > (size_t)INT_MAX)
    return sym_fail(e, SYMCLONE_ERR_OVERFLOW, "%zu fields of %d channels overflow", count, f->c);
  symclone_status st;
  if (a->kind != SYMCLONE_GROUP_T2 && f->n == 1)
    st = symclone_group_act_planar(grp, el, (int)ch, f->h, f->w, in, out);
  else
    st = symclone_group_act_group(grp, el, (int)ch, f->n, f->h, f->w, in, out);
  if (st) return sym_fail(e, st, "the group action failed: %s", symclone_group_last_error(grp));
  return SYMCLONE_OK;
}
