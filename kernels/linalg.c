/* linalg.c - singular values, SVD, norms, pivoted QR and least squares on LAPACKE.
 *
 * LAPACK is column-major and tensors are row-major. A row-major m x n matrix W, copied
 * as it is, is the column-major n x m matrix W^T, which has the same singular values; and
 * the SVD W^T = U' S V'^T gives W = V'^T^T S U'^T, so LAPACK's VT' buffer read row-major
 * is our U and its U' buffer is our Vt. The SVD therefore needs one plain copy of W (which
 * sgesdd destroys anyway) and no transposes. QR and least squares copy into column-major
 * form because their outputs are not symmetric in that way. */
#include "linalg.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "cuda/device.h"
#include "cuda/linalg_cuda.h"
#include "ops.h"

/* ---- argument checks ---- */

static rh_status check_matrix(const rh_tensor *w) {
  char b[64];
  if (w->ndim != 2) return rh_fail(RH_ESHAPE, "expected a 2-D matrix, got %s", rh_shape_str(w, b, sizeof b));
  if (w->size[0] == 0 || w->size[1] == 0) return rh_fail(RH_ESHAPE, "matrix is empty (%s)", rh_shape_str(w, b, sizeof b));
  if (w->size[0] > INT_MAX / 2 || w->size[1] > INT_MAX / 2 || w->size[0] * w->size[1] > INT_MAX)
    return rh_fail(RH_ESHAPE, "matrix %s is too large for LAPACK's 32-bit indices", rh_shape_str(w, b, sizeof b));
  return RH_OK;
}

static rh_status check_out(const rh_tensor *t, int ndim, int64_t r, int64_t c, rh_device dev, const char *what) {
  char b[64];
  int ok = t->ndim == ndim && t->size[0] == r && (ndim == 1 || t->size[1] == c);
  if (!ok) {
    if (ndim == 1) return rh_fail(RH_ESHAPE, "%s must have %lld entries, got %s", what, (long long)r, rh_shape_str(t, b, sizeof b));
    return rh_fail(RH_ESHAPE, "%s must be %lldx%lld, got %s", what, (long long)r, (long long)c, rh_shape_str(t, b, sizeof b));
  }
  if (rh_dev(t) != dev) return rh_fail(RH_EDEVICE, "%s is on a different device from the matrix", what);
  if (!rh_is_contiguous(t)) return rh_fail(RH_EARG, "%s must be contiguous", what);
  return RH_OK;
}

static rh_status check_cpu(const rh_tensor *w, const char *what) {
  if (rh_dev(w) != RH_CPU) return rh_fail(RH_EDEVICE, "%s runs on the CPU only; move the tensor with :to('cpu')", what);
  return RH_OK;
}

static rh_status nonfinite(int64_t i, int64_t j, float v) {
  return rh_fail(RH_ENUMERIC, "entry (%lld,%lld) is %s; singular values of such a matrix are undefined",
                 (long long)i + 1, (long long)j + 1, isnan(v) ? "NaN" : "infinite");
}

/* Copies w into buf row-major (= column-major W^T), refusing NaN/Inf on the way. */
static rh_status pack_rowmajor(float *buf, const rh_tensor *w) {
  const int64_t m = w->size[0], n = w->size[1], s0 = w->stride[0], s1 = w->stride[1];
  const float *p = rh_data(w);
  for (int64_t i = 0; i < m; i++) {
    const float *row = p + i * s0;
    float *dst = buf + i * n;
    float acc = 0.0f; /* x*0 is NaN exactly when x is NaN or Inf: one test per row */
    for (int64_t j = 0; j < n; j++) {
      dst[j] = row[j * s1];
      acc += dst[j] * 0.0f;
    }
    if (acc != 0.0f)
      for (int64_t j = 0; j < n; j++)
        if (!isfinite(dst[j])) return nonfinite(i, j, dst[j]);
  }
  return RH_OK;
}

/* Copies w into buf column-major with leading dimension ld >= m, refusing NaN/Inf. */
static rh_status pack_colmajor(float *buf, int64_t ld, const rh_tensor *w) {
  const int64_t m = w->size[0], n = w->ndim == 2 ? w->size[1] : 1; /* a 1-D w is one column */
  const int64_t s0 = w->stride[0], s1 = w->ndim == 2 ? w->stride[1] : 0;
  const float *p = rh_data(w);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float v = p[i * s0 + j * s1];
      if (!isfinite(v)) return nonfinite(i, j, v);
      buf[i + j * ld] = v;
    }
  return RH_OK;
}

static rh_status lapack_info(const char *routine, lapack_int info) {
  if (info == 0) return RH_OK;
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return rh_fail(RH_ENOMEM, "%s: out of memory for its workspace", routine);
  if (info < 0) return rh_fail(RH_EINTERNAL, "%s: argument %d had an illegal value (LAPACK info=%d)", routine, (int)-info, (int)info);
  return rh_fail(RH_ENUMERIC, "%s did not converge (LAPACK info=%d)", routine, (int)info);
}

/* ---- the per-thread SVD workspace ---- */

/* Buffers only grow, and the workspace size LAPACK asks for is remembered per shape, so
 * alternating between a network's layer shapes allocates and queries nothing. */
#define MEMO_SLOTS 16
typedef struct svd_ws {
  float *a, *work;
  lapack_int *iwork;
  size_t a_cap, work_cap, iwork_cap;
  struct { lapack_int M, N, lwork; char jobz; } memo[MEMO_SLOTS];
  int nmemo, next;
} svd_ws;
static _Thread_local svd_ws ws;

static rh_status grow(void **p, size_t *cap, size_t need, size_t elsize) {
  if (need <= *cap) return RH_OK;
  void *q = realloc(*p, need * elsize);
  if (!q) return rh_fail(RH_ENOMEM, "cannot allocate %zu bytes of SVD workspace", need * elsize);
  *p = q;
  *cap = need;
  return RH_OK;
}

void rh_linalg_free_workspace(void) {
  free(ws.a);
  free(ws.work);
  free(ws.iwork);
  memset(&ws, 0, sizeof ws);
}

/* Packs w into ws.a and makes ws.work/ws.iwork big enough for sgesdd(jobz) on it. */
static rh_status prepare(const rh_tensor *w, char jobz) {
  const lapack_int M = (lapack_int)w->size[1], N = (lapack_int)w->size[0], K = M < N ? M : N;
  rh_status st = grow((void **)&ws.a, &ws.a_cap, (size_t)M * N, sizeof(float));
  if (st == RH_OK) st = grow((void **)&ws.iwork, &ws.iwork_cap, 8 * (size_t)K, sizeof(lapack_int));
  if (st == RH_OK) st = pack_rowmajor(ws.a, w);
  if (st != RH_OK) return st;
  lapack_int lwork = -1;
  for (int i = 0; i < ws.nmemo; i++)
    if (ws.memo[i].M == M && ws.memo[i].N == N && ws.memo[i].jobz == jobz) lwork = ws.memo[i].lwork;
  if (lwork < 0) {
    float q = 0.0f, dummy = 0.0f;
    lapack_int info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, jobz, M, N, ws.a, M, &dummy, &dummy, M, &dummy, K, &q, -1, ws.iwork);
    if (info != 0) return lapack_info("sgesdd (workspace query)", info);
    lwork = (lapack_int)ceilf(q * (1.0f + FLT_EPSILON)) + 1; /* the float answer may round down */
    int slot = ws.nmemo < MEMO_SLOTS ? ws.nmemo++ : (ws.next++ % MEMO_SLOTS);
    ws.memo[slot].M = M, ws.memo[slot].N = N, ws.memo[slot].jobz = jobz, ws.memo[slot].lwork = lwork;
  }
  return grow((void **)&ws.work, &ws.work_cap, (size_t)lwork, sizeof(float));
}

static rh_status svdvals_cpu(float *s, const rh_tensor *w) {
  rh_status st = prepare(w, 'N');
  if (st != RH_OK) return st;
  const lapack_int M = (lapack_int)w->size[1], N = (lapack_int)w->size[0], K = M < N ? M : N;
  float dummy = 0.0f;
  lapack_int info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', M, N, ws.a, M, s, &dummy, M, &dummy, K, ws.work,
                                        (lapack_int)ws.work_cap, ws.iwork);
  return lapack_info("sgesdd", info);
}

/* ---- public kernels ---- */

static int64_t kdim(const rh_tensor *w) { return w->size[0] < w->size[1] ? w->size[0] : w->size[1]; }

/* Device tensors: refuse NaN/Inf here (cheap reductions) before handing over to cuSOLVER. */
static rh_status check_finite_device(const rh_tensor *w) {
  int finite = 0;
  rh_status st = rh_all_finite(w, &finite);
  if (st != RH_OK) return st;
  if (!finite) return rh_fail(RH_ENUMERIC, "matrix has NaN or infinite entries; its singular values are undefined");
  return RH_OK;
}

rh_status rh_svdvals(rh_tensor *s, const rh_tensor *w) {
  rh_status st = check_matrix(w);
  if (st == RH_OK) st = check_out(s, 1, kdim(w), 0, rh_dev(w), "singular values output");
  if (st != RH_OK) return st;
  if (rh_dev(w) != RH_CPU) {
    st = check_finite_device(w);
    return st != RH_OK ? st : rh_cuda_svdvals(s, w);
  }
  return svdvals_cpu(rh_data(s), w);
}

rh_status rh_svdvals_host(float *s, const rh_tensor *w) {
  rh_status st = check_matrix(w);
  if (st != RH_OK) return st;
  if (rh_dev(w) == RH_CPU) return svdvals_cpu(s, w);
  rh_tensor d = {0};
  st = rh_tensor_new1(&d, kdim(w), rh_dev(w));
  if (st == RH_OK) st = rh_svdvals(&d, w);
  if (st == RH_OK) st = rh_cuda_memcpy(s, RH_CPU, rh_data(&d), rh_dev(&d), (size_t)kdim(w) * sizeof(float));
  rh_tensor_release(&d);
  return st;
}

rh_status rh_svd(rh_tensor *u, rh_tensor *s, rh_tensor *vt, const rh_tensor *w) {
  rh_status st = check_matrix(w);
  if (st != RH_OK) return st;
  const int64_t m = w->size[0], n = w->size[1], k = kdim(w);
  rh_device dev = rh_dev(w);
  if (st == RH_OK) st = check_out(u, 2, m, k, dev, "U output");
  if (st == RH_OK) st = check_out(s, 1, k, 0, dev, "singular values output");
  if (st == RH_OK) st = check_out(vt, 2, k, n, dev, "Vt output");
  if (st != RH_OK) return st;
  if (dev != RH_CPU) {
    st = check_finite_device(w);
    return st != RH_OK ? st : rh_cuda_svd(u, s, vt, w);
  }
  st = prepare(w, 'S');
  if (st != RH_OK) return st;
  const lapack_int M = (lapack_int)n, N = (lapack_int)m, K = (lapack_int)k;
  /* LAPACK's U' (M x K, ld M) is our Vt row-major; its VT' (K x N, ld K) is our U. */
  lapack_int info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'S', M, N, ws.a, M, rh_data(s), rh_data(vt), M, rh_data(u), K,
                                        ws.work, (lapack_int)ws.work_cap, ws.iwork);
  return lapack_info("sgesdd", info);
}

rh_status rh_norm(const rh_tensor *w, rh_norm_kind kind, double *out) {
  rh_status st = check_matrix(w);
  if (st != RH_OK) return st;
  if (kind == RH_NORM_FRO) {
    double ss = 0.0;
    st = rh_reduce_all(w, RH_SUMSQ, &ss);
    if (st != RH_OK) return st;
    /* float entries cannot overflow a double sum of squares: a non-finite sum means NaN/Inf */
    if (!isfinite(ss)) return rh_fail(RH_ENUMERIC, "matrix has NaN or infinite entries");
    *out = sqrt(ss);
    return RH_OK;
  }
  const int64_t k = kdim(w);
  float *s = malloc((size_t)k * sizeof *s);
  if (!s) return rh_fail(RH_ENOMEM, "cannot allocate %lld singular values", (long long)k);
  st = rh_svdvals_host(s, w);
  if (st == RH_OK) {
    double acc = 0.0;
    for (int64_t i = 0; i < k; i++) acc += s[i];
    *out = kind == RH_NORM_SPECTRAL ? (double)s[0] : acc;
  }
  free(s);
  return st;
}

rh_status rh_qr_pivoted(rh_tensor *q, rh_tensor *r, int64_t *perm, const rh_tensor *w) {
  rh_status st = check_matrix(w);
  if (st == RH_OK) st = check_cpu(w, "pivoted QR");
  if (st != RH_OK) return st;
  const int64_t m = w->size[0], n = w->size[1], k = kdim(w);
  if (q) st = check_out(q, 2, m, k, RH_CPU, "Q output");
  if (st == RH_OK && r) st = check_out(r, 2, k, n, RH_CPU, "R output");
  if (st != RH_OK) return st;
  float *a = malloc((size_t)(m * n + k) * sizeof *a);
  lapack_int *jpvt = calloc((size_t)n, sizeof *jpvt);
  if (!a || !jpvt) {
    free(a);
    free(jpvt);
    return rh_fail(RH_ENOMEM, "cannot allocate the QR workspace for a %lldx%lld matrix", (long long)m, (long long)n);
  }
  float *tau = a + m * n;
  st = pack_colmajor(a, m, w);
  if (st == RH_OK) st = lapack_info("sgeqp3", LAPACKE_sgeqp3(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, a, (lapack_int)m, jpvt, tau));
  if (st == RH_OK) {
    for (int64_t j = 0; j < n; j++) perm[j] = (int64_t)jpvt[j] - 1;
    if (r) {
      float *rp = rh_data(r);
      for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < n; j++) rp[i * n + j] = j >= i ? a[i + j * m] : 0.0f;
    }
    if (q) {
      st = lapack_info("sorgqr", LAPACKE_sorgqr(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, (lapack_int)k, a, (lapack_int)m, tau));
      float *qp = rh_data(q);
      for (int64_t i = 0; st == RH_OK && i < m; i++)
        for (int64_t j = 0; j < k; j++) qp[i * k + j] = a[i + j * m];
    }
  }
  free(a);
  free(jpvt);
  return st;
}

rh_status rh_lstsq(rh_tensor *x, const rh_tensor *a, const rh_tensor *b, double rcond, int64_t *rank) {
  char sa[64], sb[64];
  rh_status st = check_matrix(a);
  if (st == RH_OK) st = check_cpu(a, "least squares");
  if (st == RH_OK && rh_dev(b) != RH_CPU) st = check_cpu(b, "least squares");
  if (st != RH_OK) return st;
  const int64_t m = a->size[0], n = a->size[1];
  if (b->ndim < 1 || b->ndim > 2 || b->size[0] != m)
    return rh_fail(RH_ESHAPE, "shapes %s and %s do not match (B needs %lld rows)", rh_shape_str(a, sa, sizeof sa),
                   rh_shape_str(b, sb, sizeof sb), (long long)m);
  const int64_t p = b->ndim == 2 ? b->size[1] : 1;
  if (p == 0) return rh_fail(RH_ESHAPE, "right-hand side is empty (%s)", rh_shape_str(b, sb, sizeof sb));
  st = check_out(x, b->ndim, n, p, RH_CPU, "solution output");
  if (st != RH_OK) return st;
  const int64_t ldb = m > n ? m : n, k = kdim(a);
  float *buf = calloc((size_t)(m * n + ldb * p + k), sizeof *buf);
  if (!buf) return rh_fail(RH_ENOMEM, "cannot allocate the least-squares workspace");
  float *ab = buf, *bb = buf + m * n, *s = bb + ldb * p;
  st = pack_colmajor(ab, m, a);
  if (st == RH_OK) st = pack_colmajor(bb, ldb, b);
  if (rcond < 0) rcond = (double)FLT_EPSILON * (double)(m > n ? m : n);
  lapack_int rk = 0;
  if (st == RH_OK)
    st = lapack_info("sgelsd", LAPACKE_sgelsd(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)p, ab, (lapack_int)m,
                                              bb, (lapack_int)ldb, s, (float)rcond, &rk));
  if (st == RH_OK) {
    float *xp = rh_data(x);
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < p; j++) xp[i * p + j] = bb[i + j * ldb];
    if (rank) *rank = rk;
  }
  free(buf);
  return st;
}

/* ---- the naive reference ---- */

static int desc(const void *x, const void *y) {
  float a = *(const float *)x, b = *(const float *)y;
  return (a < b) - (a > b);
}

rh_status rh_svdvals_ref(float *s, const rh_tensor *w) {
  rh_status st = check_matrix(w);
  if (st == RH_OK) st = check_cpu(w, "the reference SVD");
  if (st != RH_OK) return st;
  /* work on columns of A = W or W^T, whichever is tall (rows >= cols) */
  const int tr = w->size[0] < w->size[1];
  const int64_t rows = tr ? w->size[1] : w->size[0], cols = tr ? w->size[0] : w->size[1];
  double *A = malloc((size_t)(rows * cols) * sizeof *A);
  if (!A) return rh_fail(RH_ENOMEM, "cannot allocate the reference SVD's copy");
  const float *p = rh_data(w);
  for (int64_t i = 0; i < w->size[0]; i++)
    for (int64_t j = 0; j < w->size[1]; j++) {
      float v = p[i * w->stride[0] + j * w->stride[1]];
      if (!isfinite(v)) {
        free(A);
        return nonfinite(i, j, v);
      }
      if (tr) A[j + i * rows] = v; else A[i + j * rows] = v;
    }
  /* Hestenes: rotate column pairs until all are orthogonal; the norms are then the s_i */
  for (int sweep = 0, rotated = 1; rotated && sweep < 100; sweep++) {
    rotated = 0;
    for (int64_t c1 = 0; c1 < cols; c1++)
      for (int64_t c2 = c1 + 1; c2 < cols; c2++) {
        double *x = A + c1 * rows, *y = A + c2 * rows, al = 0, be = 0, ga = 0;
        for (int64_t i = 0; i < rows; i++) al += x[i] * x[i], be += y[i] * y[i], ga += x[i] * y[i];
        if (fabs(ga) <= 1e-15 * sqrt(al * be) || ga == 0.0) continue;
        rotated = 1;
        double zeta = (be - al) / (2 * ga);
        double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
        double c = 1 / sqrt(1 + t * t), sn = c * t;
        for (int64_t i = 0; i < rows; i++) {
          double xi = x[i], yi = y[i];
          x[i] = c * xi - sn * yi;
          y[i] = sn * xi + c * yi;
        }
      }
  }
  for (int64_t c = 0; c < cols; c++) {
    double acc = 0;
    for (int64_t i = 0; i < rows; i++) acc += A[c * rows + i] * A[c * rows + i];
    s[c] = (float)sqrt(acc);
  }
  free(A);
  qsort(s, (size_t)cols, sizeof *s, desc);
  return RH_OK;
}
