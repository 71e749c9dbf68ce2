/* svd_cuda.c - singular values and the thin SVD of a device matrix with cuSOLVER's
 * gesvd (the twins declared in linalg_cuda.h).
 *
 * gesvd works on column-major R x C matrices with R >= C. The row-major m x n matrix W,
 * copied contiguously, is the column-major W^T (n x m); when n < m we copy W^T instead,
 * whose row-major storage is the column-major W. So A = (n >= m ? W^T : W), and
 *   n >= m:  W = A^T = V_A S U_A^T  ->  U = V_A, Vt = U_A^T
 *   n <  m:  W = A   = U_A S V_A^T  ->  U = U_A, Vt = V_A^T
 * U_A (R x C) and VT_A (C x C) come back column-major; read as row-major tensors they are
 * their transposes, which is what the copies below undo (or not). The info flag is read
 * back to report non-convergence, so the call waits for the device. Layers are done one
 * by one: gesvdj's batched form only takes matrices up to 32 x 32. */
#include "cuda_internal.h"
#include "linalg_cuda.h"
#include "ops_cuda.h"

typedef struct svd_scratch {
  rh_tensor a, ua, vta, work, rwork, info;
} svd_scratch;

static void release_scratch(svd_scratch *z) {
  rh_tensor_release(&z->a);
  rh_tensor_release(&z->ua);
  rh_tensor_release(&z->vta);
  rh_tensor_release(&z->work);
  rh_tensor_release(&z->rwork);
  rh_tensor_release(&z->info);
}

/* Runs gesvd on A (see above); vectors when want_vectors. s receives C values. */
static rh_status gesvd(svd_scratch *z, rh_tensor *s, const rh_tensor *w, int want_vectors, int *wide) {
  cusolverDnHandle_t h;
  rh_status st = rh_cuda_cusolver(&h);
  if (st != RH_OK) return st;
  int64_t m = w->size[0], n = w->size[1];
  *wide = n >= m;
  int R = (int)(*wide ? n : m), C = (int)(*wide ? m : n);
  /* A as a row-major C x R tensor: the contiguous copy of W (wide) or of W^T */
  rh_tensor wt;
  if (*wide)
    rh_tensor_share(&wt, w);
  else if ((st = rh_view_transpose(&wt, w, 0, 1)) != RH_OK)
    return st;
  st = rh_tensor_new2(&z->a, C, R, RH_CUDA);
  if (st == RH_OK) st = rh_cuda_copy(&z->a, &wt);
  rh_tensor_release(&wt);
  int lwork = 0;
  if (st == RH_OK) st = rh_cusolver_check(cusolverDnSgesvd_bufferSize(h, R, C, &lwork), "cusolverDnSgesvd_bufferSize");
  if (st == RH_OK) st = rh_tensor_new1(&z->work, lwork > 0 ? lwork : 1, RH_CUDA);
  if (st == RH_OK) st = rh_tensor_new1(&z->rwork, C > 1 ? C - 1 : 1, RH_CUDA);
  if (st == RH_OK) st = rh_tensor_new1(&z->info, 1, RH_CUDA); /* an int in a float's room */
  if (st == RH_OK && want_vectors) st = rh_tensor_new2(&z->ua, C, R, RH_CUDA);
  if (st == RH_OK && want_vectors) st = rh_tensor_new2(&z->vta, C, C, RH_CUDA);
  if (st != RH_OK) return st;
  signed char job = want_vectors ? 'S' : 'N';
  st = rh_cusolver_check(cusolverDnSgesvd(h, job, job, R, C, rh_data(&z->a), R, rh_data(s),
                                          want_vectors ? rh_data(&z->ua) : NULL, R,
                                          want_vectors ? rh_data(&z->vta) : NULL, C, rh_data(&z->work), lwork,
                                          rh_data(&z->rwork), (int *)(void *)rh_data(&z->info)),
                         "cusolverDnSgesvd");
  if (st != RH_OK) return st;
  int info = 0;
  st = rh_cuda_memcpy(&info, 0, rh_data(&z->info), 1, sizeof info);
  if (st != RH_OK) return st;
  if (info < 0) return rh_fail(RH_EINTERNAL, "cusolverDnSgesvd: argument %d had an illegal value", -info);
  if (info > 0) return rh_fail(RH_ENUMERIC, "cusolverDnSgesvd did not converge (%d superdiagonals)", info);
  return RH_OK;
}

rh_status rh_cuda_svdvals(rh_tensor *s, const rh_tensor *w) {
  svd_scratch z = {0};
  int wide;
  rh_status st = gesvd(&z, s, w, 0, &wide);
  release_scratch(&z);
  return st;
}

rh_status rh_cuda_svd(rh_tensor *u, rh_tensor *s, rh_tensor *vt, const rh_tensor *w) {
  svd_scratch z = {0};
  int wide;
  rh_status st = gesvd(&z, s, w, 1, &wide);
  if (st == RH_OK) {
    if (wide) { /* U = V_A: VT_A's storage read row-major; Vt = U_A^T: U_A's storage read row-major */
      st = rh_cuda_copy(u, &z.vta);
      if (st == RH_OK) st = rh_cuda_copy(vt, &z.ua);
    } else { /* U = U_A, Vt = V_A^T: both transposed back */
      rh_tensor uat, vtat;
      rh_view_transpose(&uat, &z.ua, 0, 1);
      rh_view_transpose(&vtat, &z.vta, 0, 1);
      st = rh_cuda_copy(u, &uat);
      if (st == RH_OK) st = rh_cuda_copy(vt, &vtat);
      rh_tensor_release(&uat);
      rh_tensor_release(&vtat);
    }
  }
  release_scratch(&z);
  return st;
}
