/* Private: the student handle and its building blocks, shared with the
 * trainer (lib/train).  Layouts (see student.h):
 *   X  [N][in_n][in_hw]            inputs, rows (x, s)
 *   V  [N][in_n][B][out_hw]        V = W_b x_s, one GEMM for the batch
 *   Phi[K][tcount][Pc]             Phi = T_t theta_k
 *   C  [K][tcount][B]              C = Phi A^T
 *   Y  [N][K][out_n][out_hw]       per sample: rows (k, r) = C (K*out_n x in_n*B) V_x
 * with t = r * in_n + s.  Labels of the trainer use the same Y layout. */
#ifndef SYMCLONE_STUDENT_PRIV_H
#define SYMCLONE_STUDENT_PRIV_H

#include "../common/internal.h"
#include <symclone/student.h>

struct symclone_student {
  symclone_student_kind kind;
  int n, k, h, w, pad, nblocks; /* n: rotations (Cn's n, Dn's n) */
  int order;                    /* orientations of a group field: n, 2n for Dn */
  int ho, wo;
  int in_n, out_n;
  size_t in_hw, out_hw, in_size, out_size;
  int pc, p;          /* Pc = k*k, P = theta size */
  int tcount;         /* transforms used: 1 planar, n lifting, n*n group */
  int tfirst;         /* first stored transform (lifting: T_0 = I is implicit) */
  size_t off_coeffs, off_trans, nparams;
  /* the output rows of every block held: all (0, out_hw), or a shard's
   * (sym_student_create_shard: the offsets and nparams are the shard's,
   * every other field the whole student's) */
  size_t row0, rows;
  float *params;
  /* the restriction (symclone_student_restrict; r_count 0: none): r_count
   * subspace indices of the filter subspaces of (r_kind, r_n), and what
   * keeping it takes: the frozen coefficients A = U^T ([B][Pc]) and
   * transforms (the exact ones), and the Reynolds projection of the blocks
   * (restrict.c): D_g[c][b] = <rho(g) u_c, u_b> is a signed permutation,
   * r_sign[g][c] at b = r_perm[g][c]; the plane permutations
   * r_act_in[g][in_hw], r_act_out[g][out_hw] (lib/group/subspace.h); one
   * output pixel of each orbit of the output plane, r_reps[r_nreps]; a row
   * of scratch, r_acc[in_hw] */
  int r_count, r_kind, r_n, r_order, r_nreps;
  int *r_index, *r_perm, *r_reps;
  float *r_coeffs, *r_trans, *r_sign, *r_acc;
  int *r_act_in, *r_act_out;
  sym_err err;
};

/* The number of floats of the flat parameter array of a student of
 * geometry g = {kind, orientations, kernel, height, width, padding, blocks}
 * (the order of the file header), without allocating anything: the loader
 * checks a file's float count against it before creating the student, and
 * symclone_student_create takes its layout from it.  Returns -1 if it
 * overflows; a geometry that create refuses gives some count, and create
 * refuses it later. */
int sym_student_layout_count(const uint32_t g[7], size_t *count);

/* A shard of a student (lib/mpi): the output rows [row0, row0 + rows) of
 * every block, with the coefficients and transforms of the student that
 * symclone_student_create with the same arguments makes.  Only the
 * trainer's passes, the coefficient functions, project and combine, the
 * projections in the trainer's layout below and freeing take one; SYMCLONE_ERR_ARG for an empty or out-of-range row range. */
symclone_status sym_student_create_shard(symclone_student **out, symclone_student_kind kind,
                                         int orientations, int kernel, int height, int width,
                                         symclone_padding padding, int blocks, uint64_t seed,
                                         size_t row0, size_t rows);

/* Phi[K][tcount][Pc] = T_t theta_k (theta[K][P]). */
void sym_student_phi(const symclone_student *s, const float *theta, size_t kcount, float *phi);
/* C[K][tcount][B] = Phi A^T. */
void sym_student_coeffs(const symclone_student *s, const float *phi, size_t kcount, float *c);
/* V = X W^T for N samples (over the rows the student holds, as combine). */
void sym_student_project(const symclone_student *s, const float *x, size_t nx, float *v);
/* Y[N][K][out_n][out_hw] from C and V. */
void sym_student_combine(const symclone_student *s, const float *c, size_t kcount, const float *v,
                         size_t nx, float *y);
/* Backward through combine: dC += sum_x E_x V_x^T (if dc), dV = C^T E_x (if dv). */
void sym_student_combine_backward(const symclone_student *s, const float *c, size_t kcount,
                                  const float *v, size_t nx, const float *e, float *dc, float *dv);
/* dW += dV^T X (dparams blocks part). */
void sym_student_project_backward(const symclone_student *s, const float *x, size_t nx,
                                  const float *dv, float *dblocks);
/* From dC: dA += dC^T Phi, dT += dPhi^T theta (stored transforms only),
 * dtheta += dPhi T (if dtheta).  scratch: kcount*tcount*Pc floats. */
void sym_student_coeffs_backward(const symclone_student *s, const float *theta, const float *phi,
                                 size_t kcount, const float *dc, float *dparams, float *dtheta,
                                 float *scratch);

/* The projections in the trainer's sample-minor layout (over the rows the
 * student holds: out_hw below is a shard's rows), where every step
 * is one matrix product over the whole batch (no per-sample products):
 *   Xs  rows x of X at orientation s (ld in_size)
 *   Vt  [in_n][B*out_hw][N]          Vt_s = W Xs^T; as a matrix, in_n*B rows
 *                                    (s, b) of out_hw*N columns (o, x)
 * and dW = beta dW + sum_s dVt_s Xs.  The trainer combines Vt with the
 * coefficients C ([K*out_n][in_n*B], columns (s, b)) into outputs
 * [K*out_n][out_hw*N] (rows (k, r), columns (o, x)) itself. */
void sym_student_project_t(const symclone_student *s, const float *x, size_t nx, float *vt);
void sym_student_project_backward_t(const symclone_student *s, const float *x, size_t nx,
                                    const float *dvt, float beta, float *dblocks);

/* kappa[P][tcount][Pc]: the teacher's planar kernel feeding output
 * orientation r from input orientation s (t = r*in_n + s) for theta = e_p,
 * i.e. the exact solution's transforms applied to the unit kernels.
 * SYMCLONE_ERR_KERNEL if k*k > 1024, SYMCLONE_ERR_NOMEM. */
symclone_status sym_student_exact_kernels(const symclone_student *s, float *kappa);

/* The restriction of student.h (restrict.c).  build: check (kind, n,
 * indices) against the student and compute what keeping the restriction
 * takes, without touching the parameters (err: where the message goes;
 * on failure the student is unrestricted); apply: set the coefficients and
 * transforms to their frozen values and project the blocks, with the
 * scratch build allocated (the trainer calls it after every update); free:
 * drop it. */
symclone_status sym_student_restrict_build(symclone_student *s, const sym_err *err, int kind,
                                           int n, const int *index, int count);
void sym_student_restrict_apply(symclone_student *s);
void sym_student_restrict_free(symclone_student *s);

/* Cyclic Jacobi (best.c): the eigenvalues of the symmetric n x n matrix a
 * (row-major, destroyed) into w, ascending, and the eigenvectors into the
 * columns of v (n x n, may be NULL) in the same order.  Returns 0, or -1 if
 * 100 sweeps did not bring the off-diagonal part below rounding. */
int sym_student_jacobi(double *a, int n, double *w, double *v);

/* The exact solution's transforms into trans (the transform part). */
void sym_student_exact_trans(const symclone_student *s, float *trans);

/* The one map between student kinds and teacher layers: the teacher layer
 * of a student of kind (planar: conv2d, lifting, group: group_conv,
 * dihedral lifting, dihedral group: their Dn layers) with one input and one
 * output channel and n rotations (Cn's or Dn's n); the student kind that
 * clones a layer of kind (0 if none does); and the n a student of a layer
 * takes (the layer's orientations, halved for the Dn layers). */
symclone_status sym_student_teacher_layer(symclone_student_kind kind, int n, int kernel,
                                          int height, int width, symclone_padding padding,
                                          symclone_layer **out);
int sym_student_kind_of_layer(symclone_layer_kind kind, symclone_student_kind *out);
int sym_student_rotations_of_layer(const symclone_layer *l);

/* Kind predicates: a known kind; a Dn kind (2n orientations); a kind whose
 * input is a group field (group, dihedral group). */
int sym_student_kind_is_valid(symclone_student_kind kind);
int sym_student_is_dihedral(symclone_student_kind kind);
int sym_student_has_group_input(symclone_student_kind kind);

/* The parts of a student's flat parameter array (student.h's layout). */
static inline float *sym_st_blocks(const symclone_student *s) { return s->params; }
static inline float *sym_st_coeffs(const symclone_student *s) {
  return s->params + s->off_coeffs;
}
static inline float *sym_st_trans(const symclone_student *s) { return s->params + s->off_trans; }
static inline size_t sym_st_trans_size(const symclone_student *s) {
  return (size_t)s->pc * (size_t)s->p;
}

#endif
