/* The n-block cloned operator: creation, forward/backward, effective
 * matrix, exact construction, and its Toeplitz distance and exact relative
 * loss to the teacher family. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "../group/rotate.h"
#include "student_priv.h"

#define MAX_BLOCKS 4096

int sym_student_layout_count(const uint32_t g[7], size_t *count) {
  size_t kind = g[0], n = g[1], k = g[2], h = g[3], w = g[4], pad = g[5], blocks = g[6];
  size_t order = sym_student_is_dihedral((symclone_student_kind)kind) ? 2 * n : n;
  size_t in_n = sym_student_has_group_input((symclone_student_kind)kind) ? order : 1;
  size_t out_n = kind == SYMCLONE_STUDENT_PLANAR ? 1 : order;
  size_t first = kind == SYMCLONE_STUDENT_PLANAR ? 1 : 0; /* planar: phi = theta */
  size_t ho = h, wo = w;
  if (pad == SYMCLONE_PADDING_VALID) {
    if (k > h || k > w) return *count = 0, 0; /* refused by create */
    ho = h - k + 1;
    wo = w - k + 1;
  }
  size_t in_hw, out_hw, pc, p, t, blk, coeffs, trans;
  if (sym_mul_size(h, w, &in_hw) || sym_mul_size(ho, wo, &out_hw) || sym_mul_size(k, k, &pc) ||
      sym_mul_size(pc, in_n, &p) || sym_mul3_size(blocks, out_hw, in_hw, &blk) ||
      sym_mul_size(blocks, pc, &coeffs) || sym_mul_size(in_n, out_n, &t) || t < first ||
      sym_mul3_size(t - first, pc, p, &trans) || sym_add_size(blk, coeffs, count) ||
      sym_add_size(*count, trans, count))
    return -1;
  return 0;
}


/* A student, or (shard) the rows [row0, row0 + rows) of every block of
 * one: rows = SIZE_MAX for all of them. */
static symclone_status student_make(symclone_student **out, symclone_student_kind kind,
                                    int orientations, int kernel, int height, int width,
                                    symclone_padding padding, int blocks, uint64_t seed,
                                    size_t row0, size_t rows) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (!sym_student_kind_is_valid(kind)) return SYMCLONE_ERR_ARG;
  if (blocks < 1 || blocks > MAX_BLOCKS) return SYMCLONE_ERR_SIZE;
  int n = kind == SYMCLONE_STUDENT_PLANAR ? 1 : orientations;
  /* validate the geometry exactly as the teacher layer does */
  symclone_layer *probe;
  symclone_status st = sym_student_teacher_layer(kind, n, kernel, height, width, padding, &probe);
  if (st) return st;
  int oshape[4];
  symclone_layer_output_shape(probe, oshape);
  symclone_layer_free(probe);

  symclone_student *s = sym_calloc(1, sizeof *s);
  if (!s) return SYMCLONE_ERR_NOMEM;
  sym_err_init(&s->err);
  s->kind = kind;
  s->n = n;
  s->k = kernel;
  s->h = height;
  s->w = width;
  s->pad = padding;
  s->nblocks = blocks;
  s->ho = oshape[2];
  s->wo = oshape[3];
  s->order = sym_student_is_dihedral(kind) ? 2 * n : n;
  s->in_n = sym_student_has_group_input(kind) ? s->order : 1;
  s->out_n = kind == SYMCLONE_STUDENT_PLANAR ? 1 : s->order;
  s->in_hw = (size_t)height * (size_t)width;
  s->out_hw = (size_t)s->ho * (size_t)s->wo;
  s->in_size = s->in_hw * (size_t)s->in_n;
  s->out_size = s->out_hw * (size_t)s->out_n;
  s->pc = kernel * kernel;
  s->p = s->pc * s->in_n;
  s->tcount = s->in_n * s->out_n;
  s->tfirst = kind == SYMCLONE_STUDENT_PLANAR ? 1 : 0; /* planar: phi = theta, no transform */
  const uint32_t geom[7] = {(uint32_t)kind, (uint32_t)n, (uint32_t)kernel, (uint32_t)height,
                            (uint32_t)width, (uint32_t)padding, (uint32_t)blocks};
  size_t nb;
  if (sym_student_layout_count(geom, &s->nparams) ||
      sym_mul3_size((size_t)blocks, s->out_hw, s->in_hw, &nb) ||
      sym_add_size(nb, (size_t)blocks * s->pc, &s->off_trans) ||
      s->nparams > SIZE_MAX / sizeof(float) || (size_t)blocks * s->out_hw > (size_t)INT32_MAX) {
    sym_free(s);
    return SYMCLONE_ERR_OVERFLOW;
  }
  s->off_coeffs = nb;
  s->row0 = 0;
  s->rows = s->out_hw;
  if (rows != SIZE_MAX) {
    if (rows < 1 || row0 > s->out_hw || rows > s->out_hw - row0) {
      sym_free(s);
      return SYMCLONE_ERR_ARG;
    }
    /* the shard's blocks, then the same coefficients and transforms */
    size_t small = s->nparams - nb;
    s->row0 = row0;
    s->rows = rows;
    s->off_coeffs = (size_t)blocks * rows * s->in_hw;
    s->off_trans = s->off_coeffs + (size_t)blocks * s->pc;
    s->nparams = s->off_coeffs + small;
  }
  s->params = sym_malloc_array(s->nparams, sizeof(float));
  if (!s->params) {
    sym_free(s);
    return SYMCLONE_ERR_NOMEM;
  }
  symclone_student_init_random(s, seed);
  *out = s;
  return SYMCLONE_OK;
}

symclone_status symclone_student_create(symclone_student **out, symclone_student_kind kind,
                                        int orientations, int kernel, int height, int width,
                                        symclone_padding padding, int blocks, uint64_t seed) {
  return student_make(out, kind, orientations, kernel, height, width, padding, blocks, seed, 0,
                      SIZE_MAX);
}

symclone_status sym_student_create_shard(symclone_student **out, symclone_student_kind kind,
                                         int orientations, int kernel, int height, int width,
                                         symclone_padding padding, int blocks, uint64_t seed,
                                         size_t row0, size_t rows) {
  if (rows == SIZE_MAX) return SYMCLONE_ERR_ARG;
  return student_make(out, kind, orientations, kernel, height, width, padding, blocks, seed, row0,
                      rows);
}

symclone_status symclone_student_clone(const symclone_student *src, symclone_student **out) {
  if (!src || !out) return SYMCLONE_ERR_NULL;
  symclone_student *s = sym_malloc(sizeof *s);
  if (!s) return SYMCLONE_ERR_NOMEM;
  *s = *src;
  sym_err_init(&s->err);
  s->params = sym_malloc_array(src->nparams, sizeof(float));
  if (!s->params) {
    sym_free(s);
    return SYMCLONE_ERR_NOMEM;
  }
  memcpy(s->params, src->params, src->nparams * sizeof(float));
  s->r_count = s->r_nreps = 0;
  s->r_index = s->r_perm = s->r_reps = NULL;
  s->r_coeffs = s->r_trans = s->r_sign = s->r_acc = NULL;
  s->r_act_in = s->r_act_out = NULL;
  if (src->r_count) {
    symclone_status st =
        sym_student_restrict_build(s, NULL, src->r_kind, src->r_n, src->r_index, src->r_count);
    if (st) {
      symclone_student_free(s);
      return st;
    }
  }
  *out = s;
  return SYMCLONE_OK;
}

void symclone_student_free(symclone_student *s) {
  if (!s) return;
  sym_student_restrict_free(s);
  sym_free(s->params);
  sym_free(s);
}

symclone_student_kind symclone_student_kind_of(const symclone_student *s) {
  return s ? s->kind : (symclone_student_kind)0;
}
int symclone_student_blocks(const symclone_student *s) { return s ? s->nblocks : 0; }
int symclone_student_kernel(const symclone_student *s) { return s ? s->k : 0; }
int symclone_student_orientations(const symclone_student *s) { return s ? s->n : 0; }
symclone_padding symclone_student_padding(const symclone_student *s) {
  return s ? (symclone_padding)s->pad : SYMCLONE_PADDING_NONE;
}
size_t symclone_student_input_size(const symclone_student *s) { return s ? s->in_size : 0; }
size_t symclone_student_output_size(const symclone_student *s) { return s ? s->out_size : 0; }
size_t symclone_student_theta_size(const symclone_student *s) { return s ? (size_t)s->p : 0; }

symclone_status symclone_student_input_shape(const symclone_student *s, int shape[4]) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!shape) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "shape is NULL");
  shape[0] = 1;
  shape[1] = s->in_n;
  shape[2] = s->h;
  shape[3] = s->w;
  return SYMCLONE_OK;
}

symclone_status symclone_student_output_shape(const symclone_student *s, int shape[4]) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!shape) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "shape is NULL");
  shape[0] = 1;
  shape[1] = s->out_n;
  shape[2] = s->ho;
  shape[3] = s->wo;
  return SYMCLONE_OK;
}

static int part_range(const symclone_student *s, symclone_student_part part, size_t *off,
                      size_t *len) {
  switch (part) {
  case SYMCLONE_STUDENT_PART_ALL: *off = 0; *len = s->nparams; return 0;
  case SYMCLONE_STUDENT_PART_BLOCKS: *off = 0; *len = s->off_coeffs; return 0;
  case SYMCLONE_STUDENT_PART_COEFFS: *off = s->off_coeffs; *len = s->off_trans - s->off_coeffs; return 0;
  case SYMCLONE_STUDENT_PART_TRANSFORMS: *off = s->off_trans; *len = s->nparams - s->off_trans; return 0;
  default: return -1;
  }
}

size_t symclone_student_param_count(const symclone_student *s, symclone_student_part part) {
  size_t off, len;
  if (!s || part_range(s, part, &off, &len)) return 0;
  return len;
}

float *symclone_student_params(symclone_student *s) { return s ? s->params : NULL; }

symclone_status symclone_student_get_params(const symclone_student *s, symclone_student_part part,
                                            float *dst, size_t count) {
  if (!s) return SYMCLONE_ERR_NULL;
  size_t off, len;
  if (part_range(s, part, &off, &len))
    return sym_fail(&s->err, SYMCLONE_ERR_ARG, "part=%d is not a student part", (int)part);
  if (!dst) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "dst is NULL");
  if (count != len)
    return sym_fail(&s->err, SYMCLONE_ERR_SIZE, "count=%zu but the part has %zu floats", count,
                    len);
  memcpy(dst, s->params + off, len * sizeof(float));
  return SYMCLONE_OK;
}

symclone_status symclone_student_set_params(symclone_student *s, symclone_student_part part,
                                            const float *src, size_t count) {
  if (!s) return SYMCLONE_ERR_NULL;
  size_t off, len;
  if (part_range(s, part, &off, &len))
    return sym_fail(&s->err, SYMCLONE_ERR_ARG, "part=%d is not a student part", (int)part);
  if (!src) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "src is NULL");
  if (count != len)
    return sym_fail(&s->err, SYMCLONE_ERR_SIZE, "count=%zu but the part has %zu floats", count,
                    len);
  memmove(s->params + off, src, len * sizeof(float));
  return SYMCLONE_OK;
}

/* The transform T_t (Pc x P) of an exact solution, for kinds with
 * transforms: lifting T_r = R_r; group T_{r,s} = R_r o select((s-r) mod n);
 * dihedral lifting T_g = R_r M^m (g = m*n + r); dihedral group
 * T_{g,s} = R_r M^m o select(g^-1 * s). */
static void exact_transform(const symclone_student *s, int t, float *tm) {
  int pc = s->pc, p = s->p, k = s->k, n = s->n;
  int r = t / s->in_n, sidx = t % s->in_n;
  int slice = 0;
  if (s->kind == SYMCLONE_STUDENT_GROUP) slice = ((sidx - r) % n + n) % n;
  if (s->kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP)
    slice = sym_dihedral_compose(sym_dihedral_inverse(r, n), sidx, n);
  int mirror = sym_student_is_dihedral(s->kind) ? r / n : 0;
  float e[1024], col[1024]; /* k*k <= 1024 is checked by the caller */
  memset(tm, 0, (size_t)pc * p * sizeof *tm);
  for (int tap = 0; tap < pc; tap++) {
    memset(e, 0, (size_t)pc * sizeof *e);
    e[tap] = 1.0f;
    if (sym_student_is_dihedral(s->kind))
      sym_dihedral_plane(e, col, k, k, mirror, r % n, n);
    else
      sym_rotate_plane(e, col, k, k, r, n);
    int pcol = slice * pc + tap;
    for (int q = 0; q < pc; q++) tm[(size_t)q * p + pcol] = col[q];
  }
}

void sym_student_exact_trans(const symclone_student *s, float *t) {
  for (int ti = s->tfirst; ti < s->tcount; ti++, t += sym_st_trans_size(s)) exact_transform(s, ti, t);
}

symclone_status symclone_student_init_random(symclone_student *s, uint64_t seed) {
  if (!s) return SYMCLONE_ERR_NULL;
  sym_rng rng;
  sym_rng_seed(&rng, seed);
  memset(sym_st_blocks(s), 0, s->off_coeffs * sizeof(float));
  sym_rng_fill_normal(&rng, sym_st_coeffs(s), (size_t)s->nblocks * s->pc,
                      (float)(1.0 / sqrt((double)s->pc)));
  float *t = sym_st_trans(s);
  size_t ts = sym_st_trans_size(s);
  for (int ti = s->tfirst; ti < s->tcount; ti++, t += ts) {
    sym_rng_fill_normal(&rng, t, ts, (float)(1.0 / sqrt((double)s->p)));
  }
  sym_student_restrict_apply(s); /* a restricted student keeps its restriction */
  return SYMCLONE_OK;
}

symclone_status sym_student_teacher_layer(symclone_student_kind kind, int n, int kernel,
                                          int height, int width, symclone_padding padding,
                                          symclone_layer **out) {
  switch (kind) {
  case SYMCLONE_STUDENT_PLANAR:
    return symclone_layer_create_conv2d(out, 1, 1, kernel, height, width, padding, 0);
  case SYMCLONE_STUDENT_LIFTING:
    return symclone_layer_create_lifting(out, n, 1, 1, kernel, height, width, padding, 0);
  case SYMCLONE_STUDENT_GROUP:
    return symclone_layer_create_group_conv(out, n, 1, 1, kernel, height, width, padding, 0);
  case SYMCLONE_STUDENT_DIHEDRAL_LIFTING:
    return symclone_layer_create_dihedral_lifting(out, n, 1, 1, kernel, height, width, padding, 0);
  case SYMCLONE_STUDENT_DIHEDRAL_GROUP:
    return symclone_layer_create_dihedral_group_conv(out, n, 1, 1, kernel, height, width, padding,
                                                     0);
  }
  return SYMCLONE_ERR_ARG;
}

int sym_student_kind_is_valid(symclone_student_kind kind) {
  return kind == SYMCLONE_STUDENT_PLANAR || kind == SYMCLONE_STUDENT_LIFTING ||
         kind == SYMCLONE_STUDENT_GROUP || kind == SYMCLONE_STUDENT_DIHEDRAL_LIFTING ||
         kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP;
}

int sym_student_is_dihedral(symclone_student_kind kind) {
  return kind == SYMCLONE_STUDENT_DIHEDRAL_LIFTING || kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP;
}

int sym_student_has_group_input(symclone_student_kind kind) {
  return kind == SYMCLONE_STUDENT_GROUP || kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP;
}

int sym_student_rotations_of_layer(const symclone_layer *l) {
  symclone_layer_kind kind = symclone_layer_kind_of(l);
  int g = symclone_layer_orientations(l);
  return kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING || kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV
             ? g / 2
             : g;
}

int sym_student_kind_of_layer(symclone_layer_kind kind, symclone_student_kind *out) {
  switch (kind) {
  case SYMCLONE_LAYER_CONV2D: *out = SYMCLONE_STUDENT_PLANAR; return 1;
  case SYMCLONE_LAYER_LIFTING: *out = SYMCLONE_STUDENT_LIFTING; return 1;
  case SYMCLONE_LAYER_GROUP_CONV: *out = SYMCLONE_STUDENT_GROUP; return 1;
  case SYMCLONE_LAYER_DIHEDRAL_LIFTING: *out = SYMCLONE_STUDENT_DIHEDRAL_LIFTING; return 1;
  case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV: *out = SYMCLONE_STUDENT_DIHEDRAL_GROUP; return 1;
  default: return 0;
  }
}

symclone_status symclone_student_teacher(const symclone_student *s, symclone_layer **teacher) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!teacher) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "teacher is NULL");
  symclone_status st = sym_student_teacher_layer(s->kind, s->n, s->k, s->h, s->w,
                                                 (symclone_padding)s->pad, teacher);
  return st ? sym_fail(&s->err, st, "cannot create the teacher layer") : SYMCLONE_OK;
}

symclone_status symclone_student_init_exact(symclone_student *s) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (s->nblocks != s->pc)
    return sym_fail(&s->err, SYMCLONE_ERR_STATE,
                    "the exact solution needs blocks = k*k = %d, the student has %d", s->pc,
                    s->nblocks);
  if (s->pc > 1024)
    return sym_fail(&s->err, SYMCLONE_ERR_KERNEL, "kernel %d too large for the exact solution",
                    s->k);
  /* W_b: the unrolled planar teacher of unit kernel e_b (a 0/1 shift matrix) */
  symclone_layer *conv;
  symclone_status st = symclone_layer_create_conv2d(&conv, 1, 1, s->k, s->h, s->w, s->pad, 0);
  if (st) return sym_fail(&s->err, st, "cannot create the planar teacher");
  float e[1024];
  size_t bsz = s->out_hw * s->in_hw;
  for (int b = 0; b < s->nblocks && !st; b++) {
    memset(e, 0, sizeof e);
    e[b] = 1.0f;
    st = symclone_layer_unroll(conv, e, sym_st_blocks(s) + (size_t)b * bsz);
  }
  symclone_layer_free(conv);
  if (st) return sym_fail(&s->err, st, "unrolling the shift matrices failed");
  float *a = sym_st_coeffs(s);
  memset(a, 0, (size_t)s->nblocks * s->pc * sizeof *a);
  for (int b = 0; b < s->nblocks; b++) a[(size_t)b * s->pc + b] = 1.0f;
  sym_student_exact_trans(s, sym_st_trans(s));
  if (s->r_count) {
    /* in the restriction's basis: W_b = sum_q u_b[q] S_q, A = U^T */
    size_t pc = (size_t)s->pc;
    float *shifts = sym_malloc_array(pc * bsz, sizeof *shifts);
    if (!shifts) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the scratch");
    memcpy(shifts, sym_st_blocks(s), pc * bsz * sizeof *shifts);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->nblocks, (int)bsz, s->pc, 1.0f,
                s->r_coeffs, s->pc, shifts, (int)bsz, 0.0f, sym_st_blocks(s), (int)bsz);
    sym_free(shifts);
    memcpy(a, s->r_coeffs, pc * pc * sizeof *a);
  }
  return SYMCLONE_OK;
}

symclone_status sym_student_exact_kernels(const symclone_student *s, float *kappa) {
  if (s->pc > 1024) return SYMCLONE_ERR_KERNEL;
  size_t P = (size_t)s->p, pc = (size_t)s->pc, tc = (size_t)s->tcount;
  float *tm = sym_malloc_array(pc * P, sizeof *tm);
  if (!tm) return SYMCLONE_ERR_NOMEM;
  for (size_t t = 0; t < tc; t++) {
    if ((int)t >= s->tfirst) exact_transform(s, (int)t, tm);
    for (size_t p = 0; p < P; p++)
      for (size_t q = 0; q < pc; q++)
        kappa[(p * tc + t) * pc + q] =
            (int)t < s->tfirst ? (p == q ? 1.0f : 0.0f) : tm[q * P + p];
  }
  sym_free(tm);
  return SYMCLONE_OK;
}

/* ---- public forward / backward ----------------------------------------- */

static symclone_status check_batch(const symclone_student *s, const float *theta, size_t batch,
                                   const float *x, const void *y, const char *yname) {
  if (!theta) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "theta is NULL");
  if (!x) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "x is NULL");
  if (!y) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "%s is NULL", yname);
  if (batch == 0) return sym_fail(&s->err, SYMCLONE_ERR_SIZE, "batch is 0");
  size_t t;
  if (sym_mul3_size(batch, (size_t)s->in_n * s->nblocks, s->out_hw, &t) ||
      t > SIZE_MAX / sizeof(float) || batch * (size_t)s->in_n > (size_t)INT32_MAX)
    return sym_fail(&s->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows", batch);
  return SYMCLONE_OK;
}

symclone_status symclone_student_forward(const symclone_student *s, const float *theta,
                                         size_t batch, const float *x, float *y) {
  if (!s) return SYMCLONE_ERR_NULL;
  symclone_status st = check_batch(s, theta, batch, x, y, "y");
  if (st) return st;
  size_t nv = batch * (size_t)s->in_n * s->nblocks * s->out_hw;
  size_t nphi = (size_t)s->tcount * s->pc, nc = (size_t)s->tcount * s->nblocks;
  float *buf = sym_malloc_array(nv + nphi + nc, sizeof(float));
  if (!buf) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the scratch");
  float *v = buf, *phi = v + nv, *c = phi + nphi;
  sym_student_phi(s, theta, 1, phi);
  sym_student_coeffs(s, phi, 1, c);
  sym_student_project(s, x, batch, v);
  sym_student_combine(s, c, 1, v, batch, y);
  sym_free(buf);
  return SYMCLONE_OK;
}

symclone_status symclone_student_backward(const symclone_student *s, const float *theta,
                                          size_t batch, const float *x, const float *dy, float *dx,
                                          float *dparams, float *dtheta) {
  if (!s) return SYMCLONE_ERR_NULL;
  symclone_status st = check_batch(s, theta, batch, x, dy, "dy");
  if (st) return st;
  size_t nv = batch * (size_t)s->in_n * s->nblocks * s->out_hw;
  size_t nphi = (size_t)s->tcount * s->pc, nc = (size_t)s->tcount * s->nblocks;
  float *buf = sym_malloc_array(2 * nv + 2 * nphi + 2 * nc, sizeof(float));
  if (!buf) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the scratch");
  float *v = buf, *dv = v + nv, *phi = dv + nv, *dphi = phi + nphi, *c = dphi + nphi,
        *dc = c + nc;
  sym_student_phi(s, theta, 1, phi);
  sym_student_coeffs(s, phi, 1, c);
  sym_student_project(s, x, batch, v);
  memset(dc, 0, nc * sizeof *dc);
  sym_student_combine_backward(s, c, 1, v, batch, dy, dc, dv);
  if (dparams) sym_student_project_backward(s, x, batch, dv, dparams);
  if (dx) /* dX = dV W */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(batch * (size_t)s->in_n),
                (int)s->in_hw, (int)((size_t)s->nblocks * s->out_hw), 1.0f, dv,
                (int)((size_t)s->nblocks * s->out_hw), sym_st_blocks(s), (int)s->in_hw, 0.0f, dx,
                (int)s->in_hw);
  if (dparams || dtheta) {
    if (dparams) {
      sym_student_coeffs_backward(s, theta, phi, 1, dc, dparams, dtheta, dphi);
    } else {
      /* dtheta only: use a zero scratch for the parameter gradient */
      float *tmp = sym_calloc(s->nparams, sizeof(float));
      if (!tmp) {
        sym_free(buf);
        return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the scratch");
      }
      sym_student_coeffs_backward(s, theta, phi, 1, dc, tmp, dtheta, dphi);
      sym_free(tmp);
    }
  }
  sym_free(buf);
  return SYMCLONE_OK;
}

symclone_status symclone_student_effective_matrix(const symclone_student *s, const float *theta,
                                                  float *m) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!theta) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "theta is NULL");
  if (!m) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "matrix is NULL");
  size_t nphi = (size_t)s->tcount * s->pc, nc = (size_t)s->tcount * s->nblocks;
  size_t bsz = s->out_hw * s->in_hw;
  float *buf = sym_malloc_array(nphi + nc + bsz, sizeof(float));
  if (!buf) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the scratch");
  float *phi = buf, *c = phi + nphi, *blk = c + nc;
  sym_student_phi(s, theta, 1, phi);
  sym_student_coeffs(s, phi, 1, c);
  for (int r = 0; r < s->out_n; r++)
    for (int si = 0; si < s->in_n; si++) {
      int t = r * s->in_n + si;
      /* blk = sum_b c[t][b] W_b */
      cblas_sgemv(CblasRowMajor, CblasTrans, s->nblocks, (int)bsz, 1.0f, sym_st_blocks(s), (int)bsz,
                  c + (size_t)t * s->nblocks, 1, 0.0f, blk, 1);
      for (size_t row = 0; row < s->out_hw; row++)
        memcpy(m + ((size_t)r * s->out_hw + row) * s->in_size + (size_t)si * s->in_hw,
               blk + row * s->in_hw, s->in_hw * sizeof *m);
    }
  sym_free(buf);
  return SYMCLONE_OK;
}

/* M(theta) against K(theta) for `draws` thetas: theta ~ N(0, I) from seed
 * (unit 0), or the unit kernels e_0 .. e_{draws-1} (unit 1).  *mean is the
 * average of the per-theta relative distances (unit 0) or the ratio of the
 * summed squares (unit 1); per_orientation (may be NULL) the averages of
 * each output orientation's relative distance. */
static symclone_status compare_to_teacher(const symclone_student *s, int unit, int draws,
                                          uint64_t seed, double *mean, double *per_orientation) {
  symclone_layer *teacher;
  symclone_status st = symclone_student_teacher(s, &teacher);
  if (st) return st;
  size_t cells = s->out_size * s->in_size;
  float *buf = sym_malloc_array(2 * cells + (size_t)s->p, sizeof(float));
  double *acc = sym_calloc((size_t)s->out_n, sizeof(double));
  if (!buf || !acc) {
    sym_free(buf);
    sym_free(acc);
    symclone_layer_free(teacher);
    return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate two %zux%zu matrices",
                    s->out_size, s->in_size);
  }
  float *ms = buf, *mk = ms + cells, *theta = mk + cells;
  sym_rng rng;
  sym_rng_seed(&rng, seed);
  double total = 0.0, num_sum = 0.0, den_sum = 0.0;
  for (int d = 0; d < draws && !st; d++) {
    if (unit) {
      memset(theta, 0, (size_t)s->p * sizeof *theta);
      theta[d] = 1.0f;
    } else {
      sym_rng_fill_normal(&rng, theta, (size_t)s->p, 1.0f);
    }
    st = symclone_student_effective_matrix(s, theta, ms);
    if (!st) st = symclone_layer_unroll(teacher, theta, mk);
    if (st) break;
    double num_all = 0.0, den_all = 0.0;
    size_t rows_per = s->out_hw * s->in_size;
    for (int r = 0; r < s->out_n; r++) {
      double num = 0.0, den = 0.0;
      for (size_t j = (size_t)r * rows_per; j < (size_t)(r + 1) * rows_per; j++) {
        double dlt = (double)ms[j] - (double)mk[j];
        num += dlt * dlt;
        den += (double)mk[j] * mk[j];
      }
      acc[r] += den > 0 ? sqrt(num / den) : 0.0;
      num_all += num;
      den_all += den;
    }
    total += den_all > 0 ? sqrt(num_all / den_all) : 0.0;
    num_sum += num_all;
    den_sum += den_all;
  }
  if (!st) {
    *mean = unit ? num_sum / den_sum : total / draws;
    if (per_orientation)
      for (int r = 0; r < s->out_n; r++) per_orientation[r] = acc[r] / draws;
  }
  sym_free(buf);
  sym_free(acc);
  symclone_layer_free(teacher);
  return st;
}

symclone_status symclone_student_toeplitz_distance(const symclone_student *s, int draws,
                                                   uint64_t seed, double *mean,
                                                   double *per_orientation) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!mean) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "mean is NULL");
  if (draws < 1) return sym_fail(&s->err, SYMCLONE_ERR_SIZE, "draws=%d must be >= 1", draws);
  return compare_to_teacher(s, 0, draws, seed, mean, per_orientation);
}

symclone_status symclone_student_relative_loss(const symclone_student *s, double *rel_loss) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!rel_loss) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "rel_loss is NULL");
  return compare_to_teacher(s, 1, s->p, 0, rel_loss, NULL);
}

const char *symclone_student_last_error(const symclone_student *s) { return s ? s->err.msg : ""; }
