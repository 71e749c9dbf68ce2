/* synthetic.c - the teacher, parity and mixture tasks (see synthetic.h). */
#include "synthetic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

enum { STREAM_TEACHER = 201, STREAM_PARITY = 202, STREAM_MIXTURE = 203 };

rh_status rh_synth_teacher(rh_dataset *ds, float *U, float *V, int64_t n, int64_t dim, int64_t rank, int64_t hidden,
                           int classes, double noise, uint64_t seed) {
  memset(ds, 0, sizeof *ds);
  if (n < 1 || dim < 1 || hidden < 1) return rh_fail(RH_EARG, "n, dim and hidden must be >= 1");
  if (rank < 1 || rank > dim || rank > hidden)
    return rh_fail(RH_EARG, "rank must be in 1..min(dim, hidden) = 1..%lld, got %lld",
                   (long long)(dim < hidden ? dim : hidden), (long long)rank);
  if (classes < 2) return rh_fail(RH_EARG, "classes must be >= 2, got %d", classes);
  if (!(noise >= 0 && noise <= 1)) return rh_fail(RH_EARG, "noise must be in [0, 1], got %g", noise);
  if (hidden > 1 << 16 || dim > 1 << 20) return rh_fail(RH_EARG, "hidden or dim too large for a teacher");
  rh_status st = rh_dataset_new_f32(ds, n, dim, classes);
  if (st != RH_OK) return st;
  size_t nu = (size_t)hidden * (size_t)dim, nv = (size_t)classes * (size_t)hidden;
  size_t nab = (size_t)(hidden + dim) * (size_t)rank;
  float *u = malloc(nu * sizeof *u), *v = malloc(nv * sizeof *v), *ab = malloc(nab * sizeof *ab);
  float *m = malloc((size_t)hidden * sizeof *m), *h = malloc((size_t)hidden * sizeof *h);
  int64_t *pick = malloc((size_t)n * sizeof *pick);
  double *z = malloc((size_t)rank * sizeof *z);
  if (!u || !v || !ab || !m || !h || !pick || !z) {
    st = rh_fail(RH_ENOMEM, "out of memory for a teacher of %lld x %lld", (long long)hidden, (long long)dim);
    goto done;
  }
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_TEACHER);
  /* U = A B with A hidden x rank, B rank x dim */
  float *A = ab, *B = ab + (size_t)hidden * (size_t)rank;
  rh_fill_normal(&rng, ab, (int64_t)nab, 0.0f, 1.0f);
  for (int64_t j = 0; j < hidden; j++) {
    double sq = 0;
    for (int64_t c = 0; c < dim; c++) {
      double s = 0;
      for (int64_t r = 0; r < rank; r++) s += (double)A[j * rank + r] * B[r * dim + c];
      u[j * dim + c] = (float)s;
      sq += s * s;
    }
    m[j] = (float)(sqrt(sq) / sqrt(2.0 * 3.141592653589793));
  }
  rh_fill_normal(&rng, v, (int64_t)nv, 0.0f, 1.0f);
  for (int c = 0; c < classes; c++) {
    double sq = 0;
    for (int64_t j = 0; j < hidden; j++) sq += (double)v[c * hidden + j] * v[c * hidden + j];
    float inv = sq > 0 ? (float)(1.0 / sqrt(sq)) : 0.0f;
    for (int64_t j = 0; j < hidden; j++) v[c * hidden + j] *= inv;
  }
  float *x = rh_dataset_f32(ds);
  int32_t *y = rh_dataset_ids(ds);
  rh_fill_normal(&rng, x, n * dim, 0.0f, 1.0f);
  for (int64_t i = 0; i < n; i++) {
    /* U x = A (B x): rank * (dim + hidden) products instead of hidden * dim */
    const float *xi = x + i * dim;
    for (int64_t r = 0; r < rank; r++) {
      double s = 0;
      for (int64_t c = 0; c < dim; c++) s += (double)B[r * dim + c] * xi[c];
      z[r] = s;
    }
    for (int64_t j = 0; j < hidden; j++) {
      double s = 0;
      for (int64_t r = 0; r < rank; r++) s += (double)A[j * rank + r] * z[r];
      h[j] = (float)((s > 0 ? s : 0) - m[j]);
    }
    int best = 0;
    double best_v = -INFINITY;
    for (int c = 0; c < classes; c++) {
      double s = 0;
      for (int64_t j = 0; j < hidden; j++) s += (double)v[c * hidden + j] * h[j];
      if (s > best_v) best_v = s, best = c;
    }
    y[i] = best + 1;
  }
  /* label noise: a seeded set of round(noise * n) examples moves to another class */
  int64_t flips = (int64_t)floor(noise * (double)n + 0.5);
  for (int64_t i = 0; i < n; i++) pick[i] = i;
  rh_rng_shuffle(&rng, pick, n);
  for (int64_t j = 0; j < flips; j++) {
    int32_t other = 1 + (int32_t)rh_rng_below(&rng, (uint32_t)classes - 1);
    y[pick[j]] = other >= y[pick[j]] ? other + 1 : other;
  }
  if (U) memcpy(U, u, nu * sizeof *u);
  if (V) memcpy(V, v, nv * sizeof *v);
done:
  free(u), free(v), free(ab), free(m), free(h), free(pick), free(z);
  if (st != RH_OK) rh_dataset_release(ds);
  return st;
}

rh_status rh_synth_parity(rh_dataset *ds, int64_t *coords, int64_t n, int64_t bits, int64_t k, uint64_t seed) {
  memset(ds, 0, sizeof *ds);
  if (bits < 1 || bits > 1 << 20) return rh_fail(RH_EARG, "bits must be in 1..%d, got %lld", 1 << 20, (long long)bits);
  if (k < 1 || k > bits) return rh_fail(RH_EARG, "k must be in 1..bits = 1..%lld, got %lld", (long long)bits,
                                        (long long)k);
  rh_status st = rh_dataset_new_f32(ds, n, bits, 2);
  if (st != RH_OK) return st;
  int64_t *perm = malloc((size_t)bits * sizeof *perm);
  if (!perm) {
    rh_dataset_release(ds);
    return rh_fail(RH_ENOMEM, "out of memory");
  }
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_PARITY);
  for (int64_t i = 0; i < bits; i++) perm[i] = i;
  rh_rng_shuffle(&rng, perm, bits);
  /* the first k of the shuffle, ascending (insertion sort: k is small) */
  for (int64_t i = 1; i < k; i++)
    for (int64_t j = i; j > 0 && perm[j - 1] > perm[j]; j--) {
      int64_t t = perm[j];
      perm[j] = perm[j - 1];
      perm[j - 1] = t;
    }
  float *x = rh_dataset_f32(ds);
  int32_t *y = rh_dataset_ids(ds);
  for (int64_t i = 0; i < n; i++) {
    float *xi = x + i * bits;
    for (int64_t b = 0; b < bits; b++) xi[b] = (rh_rng_u32(&rng) >> 31) ? 1.0f : -1.0f;
    int odd = 0;
    for (int64_t j = 0; j < k; j++) odd ^= xi[perm[j]] < 0;
    y[i] = 1 + odd;
  }
  if (coords) memcpy(coords, perm, (size_t)k * sizeof *perm);
  free(perm);
  return RH_OK;
}

rh_status rh_synth_mixture(rh_dataset *ds, float *means, int64_t n, int64_t dim, int classes, double spread,
                           uint64_t seed) {
  memset(ds, 0, sizeof *ds);
  if (classes < 2) return rh_fail(RH_EARG, "classes must be >= 2, got %d", classes);
  if (!(spread >= 0 && spread < 1e6)) return rh_fail(RH_EARG, "spread must be >= 0, got %g", spread);
  if (dim > 1 << 20) return rh_fail(RH_EARG, "dim too large for a mixture");
  rh_status st = rh_dataset_new_f32(ds, n, dim, classes);
  if (st != RH_OK) return st;
  float *mu = malloc((size_t)classes * (size_t)dim * sizeof *mu);
  if (!mu) {
    rh_dataset_release(ds);
    return rh_fail(RH_ENOMEM, "out of memory");
  }
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_MIXTURE);
  rh_fill_normal(&rng, mu, classes * dim, 0.0f, (float)spread);
  float *x = rh_dataset_f32(ds);
  int32_t *y = rh_dataset_ids(ds);
  for (int64_t i = 0; i < n; i++) {
    int c = (int)rh_rng_below(&rng, (uint32_t)classes);
    y[i] = c + 1;
    float *xi = x + i * dim;
    rh_fill_normal(&rng, xi, dim, 0.0f, 1.0f);
    for (int64_t j = 0; j < dim; j++) xi[j] += mu[c * dim + j];
  }
  if (means) memcpy(means, mu, (size_t)classes * (size_t)dim * sizeof *mu);
  free(mu);
  return RH_OK;
}
