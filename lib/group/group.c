#include <limits.h>
#include <string.h>

#include "../common/internal.h"
#include "rotate.h"
#include <symclone/group.h>

#include "group_priv.h"

/* The largest n of Cn and Dn. */
#define MAX_CYCLIC_ORDER 360

static symclone_status group_alloc(symclone_group **out, symclone_group_kind kind) {
  symclone_group *g = sym_calloc(1, sizeof *g);
  if (!g) return SYMCLONE_ERR_NOMEM;
  g->kind = kind;
  sym_err_init(&g->err);
  *out = g;
  return SYMCLONE_OK;
}

symclone_status symclone_group_create_t2(symclone_group **out, int height, int width) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (height < 1 || width < 1) return SYMCLONE_ERR_SIZE;
  int order;
  if (sym_mul_int(height, width, &order)) return SYMCLONE_ERR_OVERFLOW;
  symclone_group *g;
  symclone_status st = group_alloc(&g, SYMCLONE_GROUP_T2);
  if (st) return st;
  g->h = height;
  g->w = width;
  g->n = 1;
  g->order = order;
  *out = g;
  return SYMCLONE_OK;
}

symclone_status symclone_group_create_cyclic(symclone_group **out, int n) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (n < 1 || n > MAX_CYCLIC_ORDER) return SYMCLONE_ERR_GROUP;
  symclone_group *g;
  symclone_status st = group_alloc(&g, SYMCLONE_GROUP_CYCLIC);
  if (st) return st;
  g->n = n;
  g->order = n;
  *out = g;
  return SYMCLONE_OK;
}

symclone_status symclone_group_create_dihedral(symclone_group **out, int n) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (n < 1 || n > MAX_CYCLIC_ORDER) return SYMCLONE_ERR_GROUP;
  symclone_group *g;
  symclone_status st = group_alloc(&g, SYMCLONE_GROUP_DIHEDRAL);
  if (st) return st;
  g->n = n;
  g->order = 2 * n;
  *out = g;
  return SYMCLONE_OK;
}

void symclone_group_free(symclone_group *group) { sym_free(group); }

static const char *kind_name(const symclone_group *g) {
  switch (g->kind) {
  case SYMCLONE_GROUP_T2: return "T2";
  case SYMCLONE_GROUP_CYCLIC: return "cyclic";
  default: return "dihedral";
  }
}

/* a * b for elements already checked (the Dn law is in rotate.c). */
static int compose_elems(const symclone_group *g, int a, int b) {
  switch (g->kind) {
  case SYMCLONE_GROUP_T2: {
    int dy = (a / g->w + b / g->w) % g->h;
    int dx = (a % g->w + b % g->w) % g->w;
    return dy * g->w + dx;
  }
  case SYMCLONE_GROUP_CYCLIC: return (a + b) % g->n;
  default: return sym_dihedral_compose(a, b, g->n);
  }
}

/* a^-1 for an element already checked. */
static int inverse_elem(const symclone_group *g, int a) {
  switch (g->kind) {
  case SYMCLONE_GROUP_T2: {
    int dy = (g->h - a / g->w) % g->h;
    int dx = (g->w - a % g->w) % g->w;
    return dy * g->w + dx;
  }
  case SYMCLONE_GROUP_CYCLIC: return (g->n - a) % g->n;
  default: return sym_dihedral_inverse(a, g->n);
  }
}

symclone_group_kind symclone_group_kind_of(const symclone_group *group) {
  return group ? group->kind : (symclone_group_kind)0;
}

int symclone_group_order(const symclone_group *group) { return group ? group->order : 0; }

int symclone_group_identity(const symclone_group *group) {
  (void)group;
  return 0;
}

int symclone_group_is_exact(const symclone_group *group) {
  if (!group) return -1;
  if (group->kind == SYMCLONE_GROUP_T2) return 1;
  /* Cn and Dn: every rotation a quarter-turn multiple (mirrors are exact) */
  return (group->n == 1 || group->n == 2 || group->n == 4) ? 1 : 0;
}

static symclone_status check_elem(const symclone_group *g, int a, const char *name) {
  if (a < 0 || a >= g->order)
    return sym_fail(&g->err, SYMCLONE_ERR_GROUP, "%s=%d is not an element (order %d)", name, a,
                    g->order);
  return SYMCLONE_OK;
}

symclone_status symclone_group_compose(const symclone_group *group, int a, int b, int *out) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&group->err, SYMCLONE_ERR_NULL, "out is NULL");
  symclone_status st;
  if ((st = check_elem(group, a, "a")) || (st = check_elem(group, b, "b"))) return st;
  *out = compose_elems(group, a, b);
  return SYMCLONE_OK;
}

symclone_status symclone_group_inverse(const symclone_group *group, int a, int *out) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&group->err, SYMCLONE_ERR_NULL, "out is NULL");
  symclone_status st = check_elem(group, a, "a");
  if (st) return st;
  *out = inverse_elem(group, a);
  return SYMCLONE_OK;
}

symclone_status symclone_group_t2_element(const symclone_group *group, int dy, int dx, int *out) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&group->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (group->kind != SYMCLONE_GROUP_T2)
    return sym_fail(&group->err, SYMCLONE_ERR_UNSUPPORTED, "t2_element on a %s group",
                    kind_name(group));
  int my = dy % group->h, mx = dx % group->w;
  if (my < 0) my += group->h;
  if (mx < 0) mx += group->w;
  *out = my * group->w + mx;
  return SYMCLONE_OK;
}

symclone_status symclone_group_t2_shift(const symclone_group *group, int g, int *dy, int *dx) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (group->kind != SYMCLONE_GROUP_T2)
    return sym_fail(&group->err, SYMCLONE_ERR_UNSUPPORTED, "t2_shift on a %s group",
                    kind_name(group));
  symclone_status st = check_elem(group, g, "g");
  if (st) return st;
  if (dy) *dy = g / group->w;
  if (dx) *dx = g % group->w;
  return SYMCLONE_OK;
}

static void shift_plane(const float *in, float *out, int h, int w, int dy, int dx) {
  for (int y = 0; y < h; y++) {
    int sy = y - dy;
    if (sy < 0) sy += h;
    const float *src = in + (size_t)sy * w;
    float *dst = out + (size_t)y * w;
    /* out[x] = src[x - dx mod w]: two contiguous runs */
    memcpy(dst + dx, src, (size_t)(w - dx) * sizeof *dst);
    memcpy(dst, src + (w - dx), (size_t)dx * sizeof *dst);
  }
}

/* Common validation of an action call; planes = number of HxW planes. */
static symclone_status check_action(const symclone_group *g, int elem, int channels, int orient,
                                    int h, int w, const float *in, const float *out,
                                    size_t *planes) {
  if (!in) return sym_fail(&g->err, SYMCLONE_ERR_NULL, "in is NULL");
  if (!out) return sym_fail(&g->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (channels < 1 || orient < 1 || h < 1 || w < 1)
    return sym_fail(&g->err, SYMCLONE_ERR_SIZE,
                    "sizes must be >= 1 (channels=%d orientations=%d height=%d width=%d)",
                    channels, orient, h, w);
  symclone_status st = check_elem(g, elem, "g");
  if (st) return st;
  size_t hw, total;
  if (sym_mul3_size((size_t)channels, (size_t)orient, (size_t)h, &hw) ||
      sym_mul_size(hw, (size_t)w, &total) || total > SIZE_MAX / sizeof(float))
    return sym_fail(&g->err, SYMCLONE_ERR_OVERFLOW, "field size overflows");
  if (g->kind == SYMCLONE_GROUP_T2) {
    if (h != g->h || w != g->w)
      return sym_fail(&g->err, SYMCLONE_ERR_SHAPE,
                      "field is %dx%d but the T2 group is on a %dx%d torus", h, w, g->h, g->w);
  } else {
    int q = sym_rot_quarter(elem % g->n, g->n);
    if ((q == 1 || q == 3) && h != w)
      return sym_fail(&g->err, SYMCLONE_ERR_SHAPE,
                      "a quarter-turn rotation needs a square field, got %dx%d", h, w);
  }
  if (in < out + total && out < in + total)
    return sym_fail(&g->err, SYMCLONE_ERR_ARG, "in and out overlap");
  *planes = (size_t)channels * (size_t)orient;
  return SYMCLONE_OK;
}

static void act_plane(const symclone_group *g, int elem, const float *in, float *out, int h,
                      int w) {
  if (g->kind == SYMCLONE_GROUP_T2)
    shift_plane(in, out, h, w, elem / g->w, elem % g->w);
  else if (g->kind == SYMCLONE_GROUP_CYCLIC)
    sym_rotate_plane(in, out, h, w, elem, g->n);
  else
    sym_dihedral_plane(in, out, h, w, elem / g->n, elem % g->n, g->n);
}

symclone_status symclone_group_act_planar(const symclone_group *group, int g, int channels,
                                          int height, int width, const float *in, float *out) {
  if (!group) return SYMCLONE_ERR_NULL;
  size_t planes;
  symclone_status st = check_action(group, g, channels, 1, height, width, in, out, &planes);
  if (st) return st;
  size_t hw = (size_t)height * (size_t)width;
  for (size_t p = 0; p < planes; p++) act_plane(group, g, in + p * hw, out + p * hw, height, width);
  return SYMCLONE_OK;
}

symclone_status symclone_group_act_group(const symclone_group *group, int g, int channels,
                                         int orientations, int height, int width, const float *in,
                                         float *out) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (group->kind == SYMCLONE_GROUP_CYCLIC && orientations != group->n)
    return sym_fail(&group->err, SYMCLONE_ERR_GROUP,
                    "group field has %d orientations but the group is C%d", orientations,
                    group->n);
  if (group->kind == SYMCLONE_GROUP_DIHEDRAL && orientations != group->order)
    return sym_fail(&group->err, SYMCLONE_ERR_GROUP,
                    "group field has %d orientations but the group D%d needs %d", orientations,
                    group->n, group->order);
  size_t planes;
  symclone_status st =
      check_action(group, g, channels, orientations, height, width, in, out, &planes);
  if (st) return st;
  size_t hw = (size_t)height * (size_t)width;
  int n = orientations;
  int ginv = group->kind == SYMCLONE_GROUP_T2 ? 0 : inverse_elem(group, g);
  for (int c = 0; c < channels; c++)
    for (int s = 0; s < n; s++) {
      /* out[c][s] = act(in[c][g^-1 s]) for Cn and Dn (for Cn, s - r); T2
       * keeps s. */
      int src = group->kind == SYMCLONE_GROUP_T2 ? s : compose_elems(group, ginv, s);
      act_plane(group, g, in + ((size_t)c * n + src) * hw, out + ((size_t)c * n + s) * hw, height,
                width);
    }
  return SYMCLONE_OK;
}

const char *symclone_group_last_error(const symclone_group *group) {
  return group ? group->err.msg : "";
}
