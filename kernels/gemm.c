/* gemm.c - matrix products through cblas_sgemm, with transposed and strided views passed
 * to BLAS as they are (no copy) whenever one of a matrix's strides is 1. */
#include <cblas.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "ops_dispatch.h"

/* How BLAS sees a 2-D view: row-major with leading dimension ld, possibly transposed.
 * Returns 0 when the view needs a copy first. */
/* Time inside cblas_sgemm (rh_gemm_clock): two clock reads per product, some 50 ns
 * against the tens of microseconds of a layer's product. */
static double gemm_seconds;
static int64_t gemm_calls;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rh_gemm_clock(double *seconds, int64_t *calls) {
  if (seconds) *seconds = gemm_seconds;
  if (calls) *calls = gemm_calls;
}

static int blas_layout(const rh_tensor *m, CBLAS_TRANSPOSE *tr, int *ld) {
  int64_t r = m->size[0], c = m->size[1];
  int64_t minc = c > 1 ? c : 1, minr = r > 1 ? r : 1;
  if (m->stride[1] == 1 || c == 1) { /* row-major: (i,j) at i*ld + j */
    int64_t l = r == 1 ? minc : m->stride[0];
    if (l >= minc && l <= 0x7fffffff) {
      *tr = CblasNoTrans;
      *ld = (int)l;
      return 1;
    }
  }
  if (m->stride[0] == 1 || r == 1) { /* column-major: (i,j) at j*ld + i */
    int64_t l = c == 1 ? minr : m->stride[1];
    if (l >= minr && l <= 0x7fffffff) {
      *tr = CblasTrans;
      *ld = (int)l;
      return 1;
    }
  }
  return 0;
}

static rh_status check_gemm(const rh_tensor *c, const rh_tensor *a, const rh_tensor *b) {
  if (a->ndim != 2 || b->ndim != 2 || c->ndim != 2) return rh_fail(RH_ESHAPE, "matrix product needs 2-D tensors");
  if (a->size[1] != b->size[0] || c->size[0] != a->size[0] || c->size[1] != b->size[1]) {
    char s1[64], s2[64];
    return rh_fail(RH_ESHAPE, "shapes %s and %s do not match", rh_shape_str(a, s1, sizeof s1),
                   rh_shape_str(b, s2, sizeof s2));
  }
  if (rh_dev(a) != rh_dev(b) || rh_dev(c) != rh_dev(a)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  if (a->size[0] > 0x7fffffff || a->size[1] > 0x7fffffff || b->size[1] > 0x7fffffff)
    return rh_fail(RH_EARG, "matrix too large for BLAS");
  return RH_OK;
}

rh_status rh_gemm(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta) {
  rh_status st = check_gemm(c, a, b);
  if (st != RH_OK) return st;
  RH_DISPATCH(a, rh_cuda_gemm(c, a, b, alpha, beta));
  int64_t M = a->size[0], K = a->size[1], N = b->size[1];
  if (M == 0 || N == 0) return RH_OK;
  if (K == 0) return beta == 0.0f ? rh_fill(c, 0.0f) : rh_affine(c, c, beta, 0.0f);

  /* C must be row-major (stride (ldc,1)); a column-major C is computed as C^T = B^T A^T. */
  CBLAS_TRANSPOSE ct;
  int ldc;
  if (!blas_layout(c, &ct, &ldc)) {
    rh_tensor tmp;
    st = rh_tensor_new2(&tmp, M, N, RH_CPU);
    if (st != RH_OK) return st;
    if (beta != 0.0f) rh_copy(&tmp, c);
    st = rh_gemm(&tmp, a, b, alpha, beta);
    if (st == RH_OK) st = rh_copy(c, &tmp);
    rh_tensor_release(&tmp);
    return st;
  }
  if (ct == CblasTrans) {
    rh_tensor ct_, at, bt;
    rh_view_transpose(&ct_, c, 0, 1);
    rh_view_transpose(&at, a, 0, 1);
    rh_view_transpose(&bt, b, 0, 1);
    st = rh_gemm(&ct_, &bt, &at, alpha, beta);
    rh_tensor_release(&ct_);
    rh_tensor_release(&at);
    rh_tensor_release(&bt);
    return st;
  }

  rh_tensor ac = {0}, bc = {0};
  const rh_tensor *A = a, *B = b;
  CBLAS_TRANSPOSE ta = CblasNoTrans, tb = CblasNoTrans;
  int lda = 1, ldb = 1;
  if (!blas_layout(A, &ta, &lda)) {
    if ((st = rh_clone(&ac, a)) != RH_OK) return st;
    A = &ac;
    blas_layout(A, &ta, &lda);
  }
  if (!blas_layout(B, &tb, &ldb)) {
    if ((st = rh_clone(&bc, b)) != RH_OK) {
      rh_tensor_release(&ac);
      return st;
    }
    B = &bc;
    blas_layout(B, &tb, &ldb);
  }
  double t0 = now();
  cblas_sgemm(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, alpha, rh_data(A), lda, rh_data(B), ldb, beta, rh_data(c),
              ldc);
  gemm_seconds += now() - t0;
  gemm_calls++;
  rh_tensor_release(&ac);
  rh_tensor_release(&bc);
  return RH_OK;
}

rh_status rh_gemm_ref(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta) {
  rh_status st = check_gemm(c, a, b);
  if (st != RH_OK) return st;
  if (rh_dev(a) != RH_CPU) return rh_fail(RH_EDEVICE, "the reference product runs on the CPU");
  for (int64_t i = 0; i < a->size[0]; i++)
    for (int64_t j = 0; j < b->size[1]; j++) {
      double acc = 0.0;
      for (int64_t k = 0; k < a->size[1]; k++)
        acc += (double)rh_data(a)[i * a->stride[0] + k * a->stride[1]] * rh_data(b)[k * b->stride[0] + j * b->stride[1]];
      float *cp = rh_data(c) + i * c->stride[0] + j * c->stride[1];
      *cp = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * *cp));
    }
  return RH_OK;
}
