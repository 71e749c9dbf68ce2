/* linalg.h - dense linear algebra on 2-D float32 tensors over LAPACKE: singular values,
 * the thin SVD, matrix norms, column-pivoted QR and least squares.
 *
 * Outputs are allocated by the caller with the shapes given below (k = min(m, n) for an
 * m x n input); inputs may be any strided view and are never modified. Every routine
 * refuses empty matrices and NaN/Inf entries (LAPACK would return garbage) and reports
 * LAPACK's info < 0 (a bad argument) and info > 0 (no convergence) as errors.
 * svdvals and svd run on CUDA tensors through kernels/cuda/linalg_cuda.h; the rest are
 * CPU only. */
#ifndef RH_LINALG_H
#define RH_LINALG_H

#include "tensor.h"

/* s (1-D, k) = singular values of w (m x n), descending. sgesdd with jobz='N'. The
 * copy of w and LAPACK's workspace are kept per thread and reused, so repeated calls on
 * matrices of one shape cost the SVD only. */
rh_status rh_svdvals(rh_tensor *s, const rh_tensor *w);

/* Thin SVD: w = u diag(s) vt with u m x k, s k, vt k x n (sgesdd, jobz='S'). */
rh_status rh_svd(rh_tensor *u, rh_tensor *s, rh_tensor *vt, const rh_tensor *w);

/* Singular values into a caller buffer of k floats on the host, for a w on any device. */
rh_status rh_svdvals_host(float *s, const rh_tensor *w);

typedef enum rh_norm_kind { RH_NORM_FRO, RH_NORM_SPECTRAL, RH_NORM_NUCLEAR } rh_norm_kind;
/* ||w||_F = sqrt(sum w_ij^2), ||w||_2 = s_1, ||w||_* = sum s_i; accumulated in double. */
rh_status rh_norm(const rh_tensor *w, rh_norm_kind kind, double *out);

/* Column-pivoted QR (sgeqp3): w[:, perm] = q r, with q m x k orthonormal columns, r k x n
 * upper trapezoidal with |r_11| >= |r_22| >= ..., perm[j] the 0-based column of w that
 * became column j. q and r may be NULL when not wanted; perm holds n entries. */
rh_status rh_qr_pivoted(rh_tensor *q, rh_tensor *r, int64_t *perm, const rh_tensor *w);

/* Least squares (sgelsd, SVD based, minimum-norm when rank deficient): x (n x p) minimises
 * ||a x - b||_F for a m x n, b m x p. Singular values below rcond * s_1 count as zero;
 * rcond < 0 means numpy's default eps(float32) * max(m, n). *rank (may be NULL) receives
 * the effective rank of a. 1-D b and x are single columns. */
rh_status rh_lstsq(rh_tensor *x, const rh_tensor *a, const rh_tensor *b, double rcond, int64_t *rank);

/* The naive reference for the singular values: one-sided Jacobi (Hestenes) in double on
 * a copy; slow, for tests. s holds k floats, descending. */
rh_status rh_svdvals_ref(float *s, const rh_tensor *w);

/* Frees this thread's cached SVD workspace (tests under leak checkers call it). */
void rh_linalg_free_workspace(void);

#endif
