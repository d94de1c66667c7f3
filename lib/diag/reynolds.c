/* Reynolds projection of a dense matrix onto the equivariant ones, and the
 * relative distances built on it. */
#include <math.h>
#include <string.h>

#include "diag_priv.h"

/* Largest field whose index map is exact when carried through the float
 * group action. */
#define INDEX_LIMIT ((size_t)1 << 24)

/* Source map of element g on the input (output) fields: acting on the index
 * field v[i] = i gives (g v)[i] = v[src(i)] = src(i). */
static symclone_status source_map(const sym_actions *a, int output, int g, const float *index,
                                  float *tmp, size_t *map, const sym_err *e) {
  size_t n = output ? a->out.size : a->in.size;
  symclone_status st = sym_actions_apply(a, output, g, 1, index, tmp, e);
  if (st) return st;
  for (size_t i = 0; i < n; i++) map[i] = (size_t)tmp[i];
  return SYMCLONE_OK;
}

/* Exact groups: P[o][j] = 1/|G| sum_h W[sigma_h(o)][tau_h(j)], sigma and tau
 * the source maps of h on the output and the input; this is
 * 1/|G| sum_h rho_out(h) W rho_in(h)^-1, which is
 * 1/|G| sum_g rho_out(g^-1) W rho_in(g) with h = g^-1.  Accumulated in
 * double. */
static symclone_status project_exact(const sym_actions *a, const float *W, float *P,
                                     size_t cells, const sym_err *e) {
  size_t in = a->in.size, out = a->out.size;
  if (in > INDEX_LIMIT || out > INDEX_LIMIT)
    return sym_fail(e, SYMCLONE_ERR_SIZE,
                    "fields of %zu and %zu values: the index maps need at most %zu", in, out,
                    INDEX_LIMIT);
  size_t big = in > out ? in : out;
  symclone_status st = SYMCLONE_OK;
  double *acc = sym_calloc(cells, sizeof *acc);
  float *index = sym_malloc_array(big, sizeof(float));
  float *tmp = sym_malloc_array(big, sizeof(float));
  size_t *tau = sym_malloc_array(in, sizeof *tau);
  size_t *sigma = sym_malloc_array(out, sizeof *sigma);
  if (!acc || !index || !tmp || !tau || !sigma) {
    st = sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the %zux%zu sums", out, in);
    goto done;
  }
  for (size_t i = 0; i < big; i++) index[i] = (float)i;
  for (int h = 0; h < a->order; h++) {
    if ((st = source_map(a, 0, h, index, tmp, tau, e)) ||
        (st = source_map(a, 1, h, index, tmp, sigma, e)))
      goto done;
    for (size_t o = 0; o < out; o++) {
      const float *row = W + sigma[o] * in;
      double *ar = acc + o * in;
      for (size_t j = 0; j < in; j++) ar[j] += (double)row[tau[j]];
    }
  }
  double inv = 1.0 / (double)a->order;
  for (size_t k = 0; k < cells; k++) P[k] = (float)(acc[k] * inv);
done:
  sym_free(acc);
  sym_free(index);
  sym_free(tmp);
  sym_free(tau);
  sym_free(sigma);
  return st;
}

/* The matrix of an action in compressed columns: column j (the image of
 * the basis field e_j) holds the entries (row[k], val[k]) for k in
 * [start[j], start[j + 1]).  Bilinear rotations have about four non-zeros
 * per column. */
typedef struct sparse_cols {
  size_t *start;
  size_t *row;
  float *val;
  size_t cap;
} sparse_cols;

static void sparse_free(sparse_cols *m) {
  sym_free(m->start);
  sym_free(m->row);
  sym_free(m->val);
}

/* Make room for `need` entries, keeping the `used` ones. */
static int sparse_reserve(sparse_cols *m, size_t used, size_t need) {
  if (need <= m->cap) return 0;
  size_t cap = m->cap ? m->cap : 1024;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) return -1;
    cap *= 2;
  }
  size_t *row = sym_malloc_array(cap, sizeof *row);
  float *val = sym_malloc_array(cap, sizeof *val);
  if (!row || !val) {
    sym_free(row);
    sym_free(val);
    return -1;
  }
  if (used) {
    memcpy(row, m->row, used * sizeof *row);
    memcpy(val, m->val, used * sizeof *val);
  }
  sym_free(m->row);
  sym_free(m->val);
  m->row = row;
  m->val = val;
  m->cap = cap;
  return 0;
}

/* Fill m with the matrix of element g on the input (output) fields by
 * acting on every basis field.  basis (all zero) and image hold n floats. */
static symclone_status action_columns(const sym_actions *a, int output, int g, float *basis,
                                      float *image, sparse_cols *m, const sym_err *e) {
  size_t n = output ? a->out.size : a->in.size, nnz = 0;
  m->start[0] = 0;
  for (size_t j = 0; j < n; j++) {
    basis[j] = 1.0f;
    symclone_status st = sym_actions_apply(a, output, g, 1, basis, image, e);
    basis[j] = 0.0f;
    if (st) return st;
    for (size_t i = 0; i < n; i++)
      if (image[i] != 0.0f) {
        if (sparse_reserve(m, nnz, nnz + 1))
          return sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the action matrix of %zu values",
                          n);
        m->row[nnz] = i;
        m->val[nnz] = image[i];
        nnz++;
      }
    m->start[j + 1] = nnz;
  }
  return SYMCLONE_OK;
}

/* Interpolated rotations: P = 1/|G| sum_g rho_out(g^-1) W rho_in(g), with
 * the action matrices built from the action on basis fields and applied
 * through their non-zeros: O(|G| * (nnz_in * out + nnz_out * in)).
 * Accumulated in double. */
static symclone_status project_interpolated(const sym_actions *a, const float *W, float *P,
                                            size_t cells, const sym_err *e) {
  size_t in = a->in.size, out = a->out.size, big = in > out ? in : out;
  symclone_status st = SYMCLONE_OK;
  sparse_cols rin = {0}, rout = {0};
  rin.start = sym_malloc_array(in + 1, sizeof(size_t));
  rout.start = sym_malloc_array(out + 1, sizeof(size_t));
  float *t = sym_malloc_array(cells, sizeof(float));
  double *acc = sym_calloc(cells, sizeof *acc);
  float *basis = sym_calloc(big, sizeof(float));
  float *image = sym_malloc_array(big, sizeof(float));
  if (!rin.start || !rout.start || !t || !acc || !basis || !image) {
    st = sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the %zux%zu sums", out, in);
    goto done;
  }
  for (int g = 0; g < a->order; g++) {
    int ginv = 0;
    symclone_group_inverse(a->group, g, &ginv);
    if ((st = action_columns(a, 0, g, basis, image, &rin, e)) ||
        (st = action_columns(a, 1, ginv, basis, image, &rout, e)))
      goto done;
    /* t = W rho_in(g): t[o][j] = sum_i W[o][i] rho_in[i][j] */
    for (size_t o = 0; o < out; o++) {
      const float *wr = W + o * in;
      float *tr = t + o * in;
      for (size_t j = 0; j < in; j++) {
        double s = 0.0;
        for (size_t k = rin.start[j]; k < rin.start[j + 1]; k++)
          s += (double)wr[rin.row[k]] * rin.val[k];
        tr[j] = (float)s;
      }
    }
    /* acc += rho_out(g^-1) t: column m of rho_out scatters row m of t */
    for (size_t m = 0; m < out; m++) {
      const float *tr = t + m * in;
      for (size_t k = rout.start[m]; k < rout.start[m + 1]; k++) {
        double v = rout.val[k];
        double *ar = acc + rout.row[k] * in;
        for (size_t j = 0; j < in; j++) ar[j] += v * (double)tr[j];
      }
    }
  }
  double inv = 1.0 / (double)a->order;
  for (size_t k = 0; k < cells; k++) P[k] = (float)(acc[k] * inv);
done:
  sparse_free(&rin);
  sparse_free(&rout);
  sym_free(t);
  sym_free(acc);
  sym_free(basis);
  sym_free(image);
  return st;
}

/* The projection of W into P (out_size*in_size floats each). */
static symclone_status project(const symclone_diag *d, const float *W, float *P) {
  const sym_actions *a = &d->a;
  size_t cells;
  if (sym_mul_size(a->out.size, a->in.size, &cells) || cells > SIZE_MAX / sizeof(double))
    return sym_fail(&d->err, SYMCLONE_ERR_OVERFLOW, "the %zux%zu matrix overflows", a->out.size,
                    a->in.size);
  if (symclone_group_is_exact(a->group) == 1) return project_exact(a, W, P, cells, &d->err);
  return project_interpolated(a, W, P, cells, &d->err);
}

symclone_status symclone_diag_reynolds_project(symclone_diag *diag, const float *W, float *P) {
  if (!diag) return SYMCLONE_ERR_NULL;
  if (!W) return sym_fail(&diag->err, SYMCLONE_ERR_NULL, "W is NULL");
  if (!P) return sym_fail(&diag->err, SYMCLONE_ERR_NULL, "P is NULL");
  return project(diag, W, P);
}

symclone_status symclone_diag_equivariant_distance(symclone_diag *diag, const float *W,
                                                   double *rel_dist) {
  if (!diag) return SYMCLONE_ERR_NULL;
  const sym_err *e = &diag->err;
  if (!W) return sym_fail(e, SYMCLONE_ERR_NULL, "W is NULL");
  if (!rel_dist) return sym_fail(e, SYMCLONE_ERR_NULL, "rel_dist is NULL");
  size_t in = diag->a.in.size, out = diag->a.out.size, cells;
  if (sym_mul_size(out, in, &cells))
    return sym_fail(e, SYMCLONE_ERR_OVERFLOW, "the %zux%zu matrix overflows", out, in);
  float *P = sym_malloc_array(cells, sizeof(float));
  if (!P) return sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the %zux%zu matrix", out, in);
  symclone_status st = project(diag, W, P);
  if (!st) {
    double dist;
    st = symclone_diag_relative_distance(P, W, cells, &dist);
    if (st)
      sym_fail(e, st, "W is zero or not finite");
    else
      *rel_dist = dist;
  }
  sym_free(P);
  return st;
}

symclone_status symclone_diag_relative_distance(const float *a, const float *b, size_t n,
                                           double *out) {
  if (!a || !b || !out) return SYMCLONE_ERR_NULL;
  if (n == 0) return SYMCLONE_ERR_SIZE;
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    num += d * d;
    den += (double)b[i] * (double)b[i];
  }
  if (!(den > 0.0) || !isfinite(num) || !isfinite(den)) return SYMCLONE_ERR_DATA;
  *out = sqrt(num / den);
  return SYMCLONE_OK;
}
