/* test_idx_dataset.c - the dataset store above the IDX reader: the batch gather against a
 * naive per-element reference, views (subset, split), relabelling, epoch orders, and
 * the synthetic tasks (shape, determinism, balance, and the rule that made each label). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dataset.h"
#include "synthetic.h"

/* A byte dataset of n x dim with pixel (i, j) = (7i + 3j) mod 256 and label i mod 10 + 1. */
static void make_bytes(rh_dataset *ds, int64_t n, int64_t dim) {
  rh_idx im = {.data = malloc((size_t)(n * dim)), .bytes = (size_t)(n * dim), .ndim = 2, .dims = {n, dim}};
  rh_idx lb = {.data = malloc((size_t)n), .bytes = (size_t)n, .ndim = 1, .dims = {n}};
  for (int64_t i = 0; i < n; i++) {
    lb.data[i] = (uint8_t)(i % 10);
    for (int64_t j = 0; j < dim; j++) im.data[i * dim + j] = (uint8_t)((7 * i + 3 * j) % 256);
  }
  CHECK_OK(rh_dataset_from_idx(ds, &im, &lb, 10, "im", "lb"));
  rh_idx_free(&lb);
}

static void test_gather(void) {
  rh_dataset ds;
  make_bytes(&ds, 1000, 37);
  int64_t idx[600];
  for (int i = 0; i < 600; i++) idx[i] = (i * 389) % 1000; /* more rows than one gather step */
  float *x = malloc(600 * 37 * sizeof *x), *y = malloc(600 * sizeof *y), *ref = malloc(600 * 37 * sizeof *ref);
  CHECK_OK(rh_dataset_gather(&ds, idx, 600, x, y));
  for (int r = 0; r < 600; r++)
    for (int j = 0; j < 37; j++) ref[r * 37 + j] = (float)((7 * idx[r] + 3 * j) % 256) / 255.0f;
  CHECK(check_maxrel(x, ref, 600 * 37) < 1e-6);
  int yok = 1;
  for (int r = 0; r < 600; r++) yok &= y[r] == (float)(idx[r] % 10 + 1);
  CHECK(yok);
  int64_t bad = 1000;
  CHECK(rh_dataset_gather(&ds, &bad, 1, x, y) == RH_EARG);
  bad = -1;
  CHECK(rh_dataset_gather(&ds, &bad, 1, x, y) == RH_EARG);

  /* a subset is a view: position 0 of subset(100, 50) is row 100 */
  rh_dataset sub;
  CHECK_OK(rh_dataset_subset(&sub, &ds, 100, 50));
  CHECK(sub.n == 50 && sub.x == ds.x && rh_dataset_label(&sub, 0) == 1);
  int64_t z = 0;
  CHECK_OK(rh_dataset_gather(&sub, &z, 1, x, NULL));
  CHECK(fabsf(x[1] - (float)((7 * 100 + 3) % 256) / 255.0f) < 1e-7f);
  CHECK(rh_dataset_subset(&sub, &ds, 990, 11) == RH_EARG);

  /* split: disjoint, covering, seeded */
  rh_dataset a, b, a2, b2;
  CHECK_OK(rh_dataset_split(&a, &b, &sub, 20, 7));
  CHECK(a.n == 20 && b.n == 30 && a.x == ds.x);
  int seen[50] = {0};
  for (int64_t i = 0; i < a.n; i++) seen[rh_dataset_row(&a, i) - 100]++;
  for (int64_t i = 0; i < b.n; i++) seen[rh_dataset_row(&b, i) - 100]++;
  int once = 1;
  for (int i = 0; i < 50; i++) once &= seen[i] == 1;
  CHECK(once);
  CHECK_OK(rh_dataset_split(&a2, &b2, &sub, 20, 7));
  int same = 1;
  for (int64_t i = 0; i < 20; i++) same &= rh_dataset_row(&a, i) == rh_dataset_row(&a2, i);
  CHECK(same);
  /* a subset of a split part follows its row table */
  rh_dataset bs;
  CHECK_OK(rh_dataset_subset(&bs, &b, 5, 3));
  CHECK(rh_dataset_row(&bs, 0) == rh_dataset_row(&b, 5));
  rh_dataset_release(&bs);
  rh_dataset_release(&a2), rh_dataset_release(&b2), rh_dataset_release(&a), rh_dataset_release(&b);

  /* random labels: exactly round(f n) replaced, seeded, the original untouched */
  rh_dataset r1, r2;
  uint8_t m1[1000], m2[1000];
  CHECK_OK(rh_dataset_random_labels(&r1, m1, &ds, 0.25, 3));
  CHECK_OK(rh_dataset_random_labels(&r2, m2, &ds, 0.25, 3));
  int count = 0, kept = 1, orig = 1, changed = 0, same_lab = 1;
  for (int64_t i = 0; i < 1000; i++) {
    count += m1[i];
    if (!m1[i]) kept &= rh_dataset_label(&r1, i) == rh_dataset_label(&ds, i);
    changed += rh_dataset_label(&r1, i) != rh_dataset_label(&ds, i);
    orig &= rh_dataset_label(&ds, i) == i % 10 + 1;
    same_lab &= m1[i] == m2[i] && rh_dataset_label(&r1, i) == rh_dataset_label(&r2, i);
  }
  CHECK(count == 250 && kept && orig && same_lab);
  CHECK(changed > 180 && changed <= 250); /* about 9 in 10 replaced labels differ */
  CHECK(rh_dataset_random_labels(&r2, m2, &ds, 1.5, 3) == RH_EARG);
  rh_dataset_release(&r1), rh_dataset_release(&r2);
  /* relabelling a subset changes only rows of that subset */
  CHECK_OK(rh_dataset_random_labels(&r1, NULL, &sub, 1.0, 4));
  int outside = 1;
  for (int64_t i = 0; i < 1000; i++)
    if (i < 100 || i >= 150) outside &= ((int32_t *)r1.y->data)[i] == i % 10 + 1;
  CHECK(outside);
  rh_dataset_release(&r1);
  rh_dataset_release(&sub);
  rh_dataset_release(&ds);
  free(x), free(y), free(ref);
}

static void test_epochs(void) {
  enum { N = 1000 };
  int64_t o1[N], o2[N], o3[N];
  rh_epoch_order(o1, N, 5, 1, 1);
  rh_epoch_order(o2, N, 5, 1, 1);
  rh_epoch_order(o3, N, 5, 2, 1);
  int seen[N] = {0}, same = 1, diff = 0;
  for (int i = 0; i < N; i++) {
    seen[o1[i]]++;
    same &= o1[i] == o2[i];
    diff += o1[i] != o3[i];
  }
  int perm = 1;
  for (int i = 0; i < N; i++) perm &= seen[i] == 1;
  CHECK(perm && same && diff > N / 2);
  rh_epoch_order(o1, N, 5, 1, 0);
  int ident = 1;
  for (int i = 0; i < N; i++) ident &= o1[i] == i;
  CHECK(ident);
}

/* Rank of a rows x cols matrix by Gaussian elimination with partial pivoting (double). */
static int naive_rank(const float *a, int rows, int cols) {
  double *m = malloc(sizeof *m * (size_t)(rows * cols));
  double big = 0;
  for (int i = 0; i < rows * cols; i++) m[i] = a[i], big = fmax(big, fabs(a[i]));
  int rank = 0;
  for (int c = 0; c < cols && rank < rows; c++) {
    int p = rank;
    for (int r = rank; r < rows; r++)
      if (fabs(m[r * cols + c]) > fabs(m[p * cols + c])) p = r;
    if (fabs(m[p * cols + c]) < 1e-4 * big) continue;
    for (int j = 0; j < cols; j++) {
      double t = m[p * cols + j];
      m[p * cols + j] = m[rank * cols + j];
      m[rank * cols + j] = t;
    }
    for (int r = rank + 1; r < rows; r++) {
      double f = m[r * cols + c] / m[rank * cols + c];
      for (int j = c; j < cols; j++) m[r * cols + j] -= f * m[rank * cols + j];
    }
    rank++;
  }
  free(m);
  return rank;
}

static void test_teacher(void) {
  enum { N = 3000, D = 20, K = 3, H = 16, C = 4 };
  rh_dataset a, b, c;
  float U[H * D], V[C * H], U2[H * D];
  CHECK_OK(rh_synth_teacher(&a, U, V, N, D, K, H, C, 0.0, 11));
  CHECK_OK(rh_synth_teacher(&b, U2, NULL, N, D, K, H, C, 0.0, 11));
  CHECK_OK(rh_synth_teacher(&c, NULL, NULL, N, D, K, H, C, 0.0, 12));
  CHECK(a.n == N && a.dim == D && a.classes == C && a.kind == RH_FEAT_F32);
  CHECK(memcmp(a.x->data, b.x->data, a.x->bytes) == 0 && memcmp(a.y->data, b.y->data, a.y->bytes) == 0);
  CHECK(memcmp(U, U2, sizeof U) == 0);
  CHECK(memcmp(a.x->data, c.x->data, a.x->bytes) != 0);
  CHECK(naive_rank(U, H, D) == K);
  /* every class present, none overwhelming */
  int hist[C] = {0};
  for (int64_t i = 0; i < N; i++) hist[rh_dataset_label(&a, i) - 1]++;
  for (int k = 0; k < C; k++) CHECK(hist[k] > N / (4 * C) && hist[k] < N * 3 / C);
  /* the labels follow the documented rule, recomputed here from U and V */
  const float *x = rh_dataset_f32(&a);
  int agree = 1;
  for (int64_t i = 0; i < N; i++) {
    double h[H], best = -INFINITY;
    int arg = 0;
    for (int j = 0; j < H; j++) {
      double s = 0, sq = 0;
      for (int d = 0; d < D; d++) s += (double)U[j * D + d] * x[i * D + d], sq += (double)U[j * D + d] * U[j * D + d];
      h[j] = (s > 0 ? s : 0) - sqrt(sq) / sqrt(2 * 3.141592653589793);
    }
    for (int k = 0; k < C; k++) {
      double s = 0;
      for (int j = 0; j < H; j++) s += V[k * H + j] * h[j];
      if (s > best) best = s, arg = k;
    }
    agree &= arg + 1 == rh_dataset_label(&a, i);
  }
  CHECK(agree);
  /* noise: exactly round(0.1 N) labels moved to another class */
  rh_dataset nz;
  CHECK_OK(rh_synth_teacher(&nz, NULL, NULL, N, D, K, H, C, 0.1, 11));
  int moved = 0;
  for (int64_t i = 0; i < N; i++) moved += rh_dataset_label(&nz, i) != rh_dataset_label(&a, i);
  CHECK(moved == N / 10);
  CHECK(memcmp(nz.x->data, a.x->data, a.x->bytes) == 0);
  rh_dataset_release(&nz);
  CHECK(rh_synth_teacher(&nz, NULL, NULL, N, D, D + 1, H, C, 0.0, 1) == RH_EARG);
  rh_dataset_release(&a), rh_dataset_release(&b), rh_dataset_release(&c);
}

static void test_parity(void) {
  enum { N = 4000, BITS = 30, K = 4 };
  rh_dataset a, b;
  int64_t co[K], co2[K];
  CHECK_OK(rh_synth_parity(&a, co, N, BITS, K, 5));
  CHECK_OK(rh_synth_parity(&b, co2, N, BITS, K, 5));
  CHECK(a.n == N && a.dim == BITS && a.classes == 2);
  CHECK(memcmp(co, co2, sizeof co) == 0 && memcmp(a.x->data, b.x->data, a.x->bytes) == 0);
  int sorted = 1;
  for (int j = 1; j < K; j++) sorted &= co[j - 1] < co[j];
  CHECK(sorted && co[0] >= 0 && co[K - 1] < BITS);
  const float *x = rh_dataset_f32(&a);
  int ok = 1, pm = 1, ones = 0;
  for (int64_t i = 0; i < N; i++) {
    double prod = 1;
    for (int j = 0; j < K; j++) prod *= x[i * BITS + co[j]];
    for (int d = 0; d < BITS; d++) pm &= x[i * BITS + d] == 1.0f || x[i * BITS + d] == -1.0f;
    ok &= rh_dataset_label(&a, i) == (prod > 0 ? 1 : 2);
    ones += rh_dataset_label(&a, i) == 1;
  }
  CHECK(ok && pm);
  CHECK(ones > N * 45 / 100 && ones < N * 55 / 100);
  rh_dataset_release(&a), rh_dataset_release(&b);
  CHECK(rh_synth_parity(&b, NULL, N, BITS, BITS + 1, 5) == RH_EARG);
}

static void test_mixture(void) {
  enum { N = 4000, D = 8, C = 3 };
  rh_dataset a;
  float mu[C * D];
  CHECK_OK(rh_synth_mixture(&a, mu, N, D, C, 3.0, 9));
  /* the sample mean of each class is near its mean (noise N(0, I): error ~ 1/sqrt(N/C)) */
  double mean[C][D] = {{0}};
  int cnt[C] = {0};
  const float *x = rh_dataset_f32(&a);
  for (int64_t i = 0; i < N; i++) {
    int c = rh_dataset_label(&a, i) - 1;
    cnt[c]++;
    for (int d = 0; d < D; d++) mean[c][d] += x[i * D + d];
  }
  for (int c = 0; c < C; c++) {
    CHECK(cnt[c] > N / (2 * C));
    double err = 0;
    for (int d = 0; d < D; d++) err = fmax(err, fabs(mean[c][d] / cnt[c] - mu[c * D + d]));
    CHECK(err < 0.2);
  }
  rh_dataset_release(&a);
}

int main(void) {
  test_gather();
  test_epochs();
  test_teacher();
  test_parity();
  test_mixture();
  return check_report();
}
