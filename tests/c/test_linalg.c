/* test_linalg.c - the LAPACKE kernels against the one-sided Jacobi reference and against
 * matrices with designed singular values; workspace reuse across shapes; bad input. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "linalg.h"
#include "ops.h"

static rh_rng rng;

static void randn(rh_tensor *t, int64_t m, int64_t n) {
  CHECK_OK(rh_tensor_new2(t, m, n, RH_CPU));
  rh_fill_normal(&rng, rh_data(t), m * n, 0.0f, 1.0f);
}

/* q (m x k, column-major doubles) with orthonormal columns: QR of a random matrix */
static void orth(double *q, int m, int k) {
  double *tau = malloc((size_t)k * sizeof *tau);
  for (int i = 0; i < m * k; i++) q[i] = rh_rng_normal(&rng);
  CHECK(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, k, q, m, tau) == 0);
  CHECK(LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, k, k, q, m, tau) == 0);
  free(tau);
}

/* w = U diag(s) V^T, computed in double, rounded to float */
static void designed(rh_tensor *w, int m, int n, const double *s) {
  int k = m < n ? m : n;
  double *u = malloc((size_t)m * k * sizeof *u), *v = malloc((size_t)n * k * sizeof *v);
  orth(u, m, k);
  orth(v, n, k);
  CHECK_OK(rh_tensor_new2(w, m, n, RH_CPU));
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int l = 0; l < k; l++) acc += u[i + l * m] * s[l] * v[j + l * n];
      rh_data(w)[i * n + j] = (float)acc;
    }
  free(u);
  free(v);
}

static void test_against_reference(void) {
  static const int shapes[][2] = {{1, 7}, {7, 1}, {1, 1}, {5, 5}, {13, 6}, {6, 13}, {40, 25}, {3, 64}};
  for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
    int m = shapes[c][0], n = shapes[c][1], k = m < n ? m : n;
    rh_tensor w = {0}, s = {0}, wt = {0};
    randn(&w, m, n);
    CHECK_OK(rh_tensor_new1(&s, k, RH_CPU));
    float *ref = malloc((size_t)k * sizeof *ref);
    CHECK_OK(rh_svdvals(&s, &w));
    CHECK_OK(rh_svdvals_ref(ref, &w));
    CHECK(check_maxrel(rh_data(&s), ref, k) < 1e-5 * ref[0] + 1e-6);
    for (int i = 1; i < k; i++) CHECK(rh_data(&s)[i] <= rh_data(&s)[i - 1]);
    /* a transposed (strided) view has the same spectrum */
    CHECK_OK(rh_view_transpose(&wt, &w, 0, 1));
    rh_tensor st = {0};
    CHECK_OK(rh_tensor_new1(&st, k, RH_CPU));
    CHECK_OK(rh_svdvals(&st, &wt));
    CHECK(check_maxrel(rh_data(&st), ref, k) < 1e-5 * ref[0] + 1e-6);
    /* the thin SVD reconstructs w */
    rh_tensor u = {0}, s2 = {0}, vt = {0};
    CHECK_OK(rh_tensor_new2(&u, m, k, RH_CPU));
    CHECK_OK(rh_tensor_new1(&s2, k, RH_CPU));
    CHECK_OK(rh_tensor_new2(&vt, k, n, RH_CPU));
    CHECK_OK(rh_svd(&u, &s2, &vt, &w));
    double worst = 0;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int l = 0; l < k; l++) acc += (double)rh_data(&u)[i * k + l] * rh_data(&s2)[l] * rh_data(&vt)[l * n + j];
        worst = fmax(worst, fabs(acc - rh_data(&w)[i * n + j]));
      }
    CHECK(worst < 1e-4);
    CHECK(check_maxrel(rh_data(&s2), ref, k) < 1e-5 * ref[0] + 1e-6);
    rh_tensor_release(&u), rh_tensor_release(&s2), rh_tensor_release(&vt);
    rh_tensor_release(&st), rh_tensor_release(&wt), rh_tensor_release(&s), rh_tensor_release(&w);
    free(ref);
  }
}

static void test_designed(void) {
  const double sv[] = {10, 8, 5, 3, 1, 0.5, 0.1, 0, 0, 0, 0, 0};
  static const int shapes[][2] = {{30, 12}, {12, 30}, {12, 12}};
  for (int c = 0; c < 3; c++) {
    rh_tensor w = {0}, s = {0};
    designed(&w, shapes[c][0], shapes[c][1], sv);
    CHECK_OK(rh_tensor_new1(&s, 12, RH_CPU));
    CHECK_OK(rh_svdvals(&s, &w));
    for (int i = 0; i < 12; i++) CHECK_NEAR(rh_data(&s)[i], sv[i], 2e-5);
    double fro = 0, two = 0, nuc = 0;
    CHECK_OK(rh_norm(&w, RH_NORM_FRO, &fro));
    CHECK_OK(rh_norm(&w, RH_NORM_SPECTRAL, &two));
    CHECK_OK(rh_norm(&w, RH_NORM_NUCLEAR, &nuc));
    CHECK_NEAR(fro, sqrt(199.26), 1e-5);
    CHECK_NEAR(two, 10.0, 1e-5);
    CHECK_NEAR(nuc, 27.6, 1e-4);
    rh_tensor_release(&s), rh_tensor_release(&w);
  }
}

/* Alternating shapes reuse the cached workspace: answers must not depend on the order. */
static void test_workspace_reuse(void) {
  rh_tensor a = {0}, b = {0}, sa = {0}, sb = {0}, sa2 = {0};
  randn(&a, 50, 20);
  randn(&b, 7, 90);
  CHECK_OK(rh_tensor_new1(&sa, 20, RH_CPU));
  CHECK_OK(rh_tensor_new1(&sa2, 20, RH_CPU));
  CHECK_OK(rh_tensor_new1(&sb, 7, RH_CPU));
  CHECK_OK(rh_svdvals(&sa, &a));
  for (int r = 0; r < 3; r++) {
    CHECK_OK(rh_svdvals(&sb, &b));
    CHECK_OK(rh_svdvals(&sa2, &a));
    CHECK(memcmp(rh_data(&sa), rh_data(&sa2), 20 * sizeof(float)) == 0);
  }
  rh_linalg_free_workspace();
  CHECK_OK(rh_svdvals(&sa2, &a));
  CHECK(memcmp(rh_data(&sa), rh_data(&sa2), 20 * sizeof(float)) == 0);
  rh_tensor_release(&a), rh_tensor_release(&b), rh_tensor_release(&sa), rh_tensor_release(&sb), rh_tensor_release(&sa2);
}

static void test_bad_input(void) {
  rh_tensor w = {0}, s = {0}, e = {0}, t3 = {0}, s5 = {0};
  randn(&w, 4, 3);
  CHECK_OK(rh_tensor_new1(&s, 3, RH_CPU));
  rh_data(&w)[5] = NAN;
  CHECK(rh_svdvals(&s, &w) == RH_ENUMERIC);
  CHECK(strstr(rh_error(), "entry (2,3) is NaN") != NULL);
  rh_data(&w)[5] = -INFINITY;
  CHECK(rh_svdvals(&s, &w) == RH_ENUMERIC);
  CHECK(strstr(rh_error(), "infinite") != NULL);
  float ref[3];
  CHECK(rh_svdvals_ref(ref, &w) == RH_ENUMERIC);
  double v;
  CHECK(rh_norm(&w, RH_NORM_FRO, &v) == RH_ENUMERIC);
  rh_data(&w)[5] = 1.0f;
  CHECK_OK(rh_tensor_new2(&e, 0, 3, RH_CPU));
  CHECK(rh_svdvals(&s, &e) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "empty") != NULL);
  int64_t sz[3] = {2, 2, 2};
  CHECK_OK(rh_tensor_new(&t3, 3, sz, RH_CPU));
  CHECK(rh_svdvals(&s, &t3) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "2-D") != NULL);
  CHECK_OK(rh_tensor_new1(&s5, 5, RH_CPU));
  CHECK(rh_svdvals(&s5, &w) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "must have 3 entries") != NULL);
  rh_tensor x = {0}, b = {0};
  CHECK_OK(rh_tensor_new2(&x, 3, 1, RH_CPU));
  CHECK_OK(rh_tensor_new2(&b, 5, 1, RH_CPU));
  CHECK(rh_lstsq(&x, &w, &b, -1, NULL) == RH_ESHAPE);
  rh_tensor_release(&x), rh_tensor_release(&b);
  rh_tensor_release(&w), rh_tensor_release(&s), rh_tensor_release(&e), rh_tensor_release(&t3), rh_tensor_release(&s5);
}

int main(void) {
  rh_rng_seed(&rng, 5, 1);
  test_against_reference();
  test_designed();
  test_workspace_reuse();
  test_bad_input();
  rh_linalg_free_workspace();
  return check_report();
}
