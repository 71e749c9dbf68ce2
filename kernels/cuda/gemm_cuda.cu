/* gemm_cuda.cu - matrix products through cublasSgemm and index_select on the device.
 *
 * cuBLAS is column-major. A 2-D view with stride[0] == 1 is a column-major matrix as it
 * stands; one with stride[1] == 1 is the column-major storage of its transpose. A
 * row-major C is computed as C^T = B^T A^T. Views with neither stride 1 are copied first.
 * FP32 by default; TF32 tensor cores only when the script opts in (rh_cuda_set_tf32). */
#include <stdint.h>

#include "cuda_internal.h"
#include "cuda_walk.cuh"

extern "C" {
#include "ops_cuda.h"
}

/* How cuBLAS sees the view m: *trans tells whether the column-major matrix at rh_data(m)
 * with leading dimension *ld is m (CUBLAS_OP_N) or m^T (CUBLAS_OP_T). 0: needs a copy. */
static int col_layout(const rh_tensor *m, cublasOperation_t *trans, int *ld) {
  int64_t r = m->size[0], c = m->size[1];
  int64_t minr = r > 1 ? r : 1, minc = c > 1 ? c : 1;
  if (m->stride[0] == 1 || r == 1) { /* (i,j) at j*ld + i */
    int64_t l = c == 1 ? minr : m->stride[1];
    if (l >= minr && l <= INT32_MAX) {
      *trans = CUBLAS_OP_N;
      *ld = (int)l;
      return 1;
    }
  }
  if (m->stride[1] == 1 || c == 1) { /* (i,j) at i*ld + j */
    int64_t l = r == 1 ? minc : m->stride[0];
    if (l >= minc && l <= INT32_MAX) {
      *trans = CUBLAS_OP_T;
      *ld = (int)l;
      return 1;
    }
  }
  return 0;
}

static cublasOperation_t flip(cublasOperation_t t) { return t == CUBLAS_OP_N ? CUBLAS_OP_T : CUBLAS_OP_N; }

/* A contiguous device copy of t in *tmp when cuBLAS cannot read t as it is. */
static rh_status blasable(const rh_tensor **m, rh_tensor *tmp, cublasOperation_t *tr, int *ld) {
  if (col_layout(*m, tr, ld)) return RH_OK;
  rh_status st = rh_tensor_new_like(tmp, *m);
  if (st == RH_OK) st = rh_cuda_copy(tmp, *m);
  if (st != RH_OK) return st;
  *m = tmp;
  col_layout(tmp, tr, ld);
  return RH_OK;
}

/* rh_gemm has checked shapes, devices and the int range. */
extern "C" rh_status rh_cuda_gemm(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta) {
  int64_t M = a->size[0], K = a->size[1], N = b->size[1];
  if (M == 0 || N == 0) return RH_OK;
  if (K == 0) return beta == 0.0f ? rh_cuda_fill(c, 0.0f) : rh_cuda_affine(c, c, beta, 0.0f);
  cublasHandle_t h;
  rh_status st = rh_cuda_cublas(&h);
  if (st != RH_OK) return st;

  cublasOperation_t tc, ta, tb;
  int ldc, lda, ldb;
  if (!col_layout(c, &tc, &ldc)) { /* compute into a contiguous C, then copy back */
    rh_tensor tmp;
    st = rh_tensor_new_like(&tmp, c);
    if (st == RH_OK && beta != 0.0f) st = rh_cuda_copy(&tmp, c);
    if (st == RH_OK) st = rh_cuda_gemm(&tmp, a, b, alpha, beta);
    if (st == RH_OK) st = rh_cuda_copy(c, &tmp);
    rh_tensor_release(&tmp);
    return st;
  }
  rh_tensor at = {}, bt = {};
  st = blasable(&a, &at, &ta, &lda);
  if (st == RH_OK) st = blasable(&b, &bt, &tb, &ldb);
  if (st == RH_OK) {
    cublasStatus_t s;
    if (tc == CUBLAS_OP_N) /* C column-major: C = op(A) op(B) */
      s = cublasSgemm(h, ta, tb, (int)M, (int)N, (int)K, &alpha, rh_data(a), lda, rh_data(b), ldb, &beta, rh_data(c),
                      ldc);
    else /* C row-major: its storage is C^T = B^T A^T, N x M */
      s = cublasSgemm(h, flip(tb), flip(ta), (int)N, (int)M, (int)K, &alpha, rh_data(b), ldb, rh_data(a), lda, &beta,
                      rh_data(c), ldc);
    st = rh_cublas_check(s, "cublasSgemm");
  }
  rh_tensor_release(&at);
  rh_tensor_release(&bt);
  return st;
}

/* ---- index_select ---- */

__global__ void k_select1(float *o, int64_t os, const float *a, int64_t as, const int64_t *idx, int64_t n) {
  RH_GRID_LOOP(i, n) o[i * os] = a[idx[i] * as];
}

/* out (rows x cols) from a: dim 0 picks rows of a, dim 1 columns */
__global__ void k_select2(float *o, int64_t os0, int64_t os1, const float *a, int64_t as0, int64_t as1,
                          const int64_t *idx, int64_t rows, int64_t cols, int dim) {
  RH_GRID_LOOP(e, rows * cols) {
    int64_t i = e / cols, j = e % cols;
    int64_t src = dim == 0 ? idx[i] * as0 + j * as1 : i * as0 + idx[j] * as1;
    o[i * os0 + j * os1] = a[src];
  }
}

/* rh_index_select has checked dims, shapes, devices and every index (on the host). */
extern "C" rh_status rh_cuda_index_select(rh_tensor *out, const rh_tensor *a, int dim, const int64_t *idx, int64_t n) {
  int64_t total = rh_numel(out);
  if (n == 0 || total == 0) return RH_OK;
  void *didx;
  rh_status st = rh_cuda_alloc(&didx, (size_t)n * sizeof(int64_t));
  if (st != RH_OK) return st;
  st = rh_cuda_memcpy(didx, 1, idx, 0, (size_t)n * sizeof(int64_t));
  if (st == RH_OK) {
    cudaStream_t s = rh_cuda_stream();
    if (a->ndim == 1)
      k_select1<<<rh_blocks(n), RH_THREADS, 0, s>>>(rh_data(out), out->stride[0], rh_data(a), a->stride[0],
                                                     (const int64_t *)didx, n);
    else
      k_select2<<<rh_blocks(total), RH_THREADS, 0, s>>>(rh_data(out), out->stride[0], out->stride[1], rh_data(a),
                                                         a->stride[0], a->stride[1], (const int64_t *)didx,
                                                         out->size[0], out->size[1], dim);
    st = rh_cuda_launched("index_select");
  }
  rh_cuda_free(didx); /* safe at once: later users of the block queue behind this kernel */
  return st;
}
