/* rank.c - every rank measure of docs/rank.md from one vector of singular values.
 * Sums run in double over the descending values, so each measure costs O(k). */
#include "rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

rh_rank_opts rh_rank_defaults(void) {
  rh_rank_opts o = {-1.0, -1.0, 1e-3, 0.99};
  return o;
}

rh_status rh_rank_check_opts(const rh_rank_opts *o) {
  /* "unset" is any negative value; NaN is refused everywhere (comparisons would pass it) */
  if (isnan(o->tol) || isnan(o->rtol)) return rh_fail(RH_EARG, "tol and rtol must be numbers >= 0, got NaN");
  if (o->tol >= 0 && o->rtol >= 0) return rh_fail(RH_EARG, "give tol (absolute) or rtol (relative to s_1), not both");
  if (isinf(o->tol) || isinf(o->rtol)) return rh_fail(RH_EARG, "tol and rtol must be finite");
  if (!(o->relative_tol >= 0) || isinf(o->relative_tol))
    return rh_fail(RH_EARG, "relative tolerance must be a finite number >= 0, got %g", o->relative_tol);
  if (!(o->energy_tau > 0 && o->energy_tau <= 1))
    return rh_fail(RH_EARG, "energy tau must be in (0, 1], got %g", o->energy_tau);
  return RH_OK;
}

static int desc(const void *x, const void *y) {
  float a = *(const float *)x, b = *(const float *)y;
  return (a < b) - (a > b);
}

static void measure(const float *s, int64_t k, const rh_rank_opts *o, rh_rank_result *r) {
  double sum = 0.0, sumsq = 0.0;
  for (int64_t i = 0; i < k; i++) sum += s[i], sumsq += (double)s[i] * s[i];
  r->smax = k > 0 ? s[0] : 0.0;
  r->fro = sqrt(sumsq);
  r->nuclear = sum;
  /* numpy.linalg.matrix_rank: tol = S.max() * rtol, rtol = max(M, N) * eps by default */
  if (o->tol >= 0) {
    r->tol_used = o->tol;
    r->rtol_used = r->smax > 0 ? o->tol / r->smax : 0.0;
  } else {
    r->rtol_used = o->rtol >= 0 ? o->rtol : (double)(r->m > r->n ? r->m : r->n) * RH_FLT32_EPS;
    r->tol_used = r->smax * r->rtol_used;
  }
  r->numerical = r->relative = r->energy = 0;
  r->effective = r->stable = 0.0;
  for (int64_t i = 0; i < k; i++) r->numerical += s[i] > r->tol_used;
  if (r->smax == 0.0) return; /* the zero matrix: every rank is 0 */
  for (int64_t i = 0; i < k; i++) r->relative += s[i] / r->fro > o->relative_tol;
  double h = 0.0;
  for (int64_t i = 0; i < k; i++) {
    double p = s[i] / sum;
    if (p > 0) h -= p * log(p); /* 0 log 0 = 0 */
  }
  r->effective = exp(h);
  r->stable = sumsq / (r->smax * r->smax);
  /* the same summation order as sumsq, so tau = 1 is reached exactly at the last value */
  double goal = o->energy_tau * sumsq, acc = 0.0;
  for (int64_t i = 0; i < k; i++) {
    acc += (double)s[i] * s[i];
    if (acc >= goal) {
      r->energy = i + 1;
      break;
    }
  }
}

rh_status rh_rank_measures(const float *s, int64_t k, int64_t m, int64_t n, const rh_rank_opts *opts, rh_rank_result *out) {
  rh_status st = rh_rank_check_opts(opts);
  if (st != RH_OK) return st;
  if (k <= 0) return rh_fail(RH_ESHAPE, "no singular values (empty matrix)");
  if (m < k || n < k) return rh_fail(RH_ESHAPE, "a %lldx%lld matrix cannot have %lld singular values", (long long)m, (long long)n, (long long)k);
  int sorted = 1;
  for (int64_t i = 0; i < k; i++) {
    if (!isfinite(s[i]) || s[i] < 0)
      return rh_fail(RH_ENUMERIC, "singular value %lld is %g; they must be finite and >= 0", (long long)i + 1, (double)s[i]);
    if (i > 0 && s[i] > s[i - 1]) sorted = 0;
  }
  memset(out, 0, sizeof *out);
  out->k = k, out->m = m, out->n = n;
  if (sorted) {
    measure(s, k, opts, out);
    return RH_OK;
  }
  float *c = malloc((size_t)k * sizeof *c);
  if (!c) return rh_fail(RH_ENOMEM, "cannot allocate %lld singular values", (long long)k);
  memcpy(c, s, (size_t)k * sizeof *c);
  qsort(c, (size_t)k, sizeof *c, desc);
  measure(c, k, opts, out);
  free(c);
  return RH_OK;
}

/* ---- estimators of the rank of a noisy low-rank matrix ---- */

/* Checks s (finite, >= 0, k > 0) and sets *v to s itself when descending, else to a sorted
 * copy in *copy (the caller frees it). */
static rh_status descending(const float *s, int64_t k, float **copy, const float **v) {
  *copy = NULL;
  *v = s;
  if (k <= 0) return rh_fail(RH_ESHAPE, "no singular values (empty matrix)");
  int sorted = 1;
  for (int64_t i = 0; i < k; i++) {
    if (!isfinite(s[i]) || s[i] < 0)
      return rh_fail(RH_ENUMERIC, "singular value %lld is %g; they must be finite and >= 0", (long long)i + 1, (double)s[i]);
    if (i > 0 && s[i] > s[i - 1]) sorted = 0;
  }
  if (sorted) return RH_OK;
  *copy = malloc((size_t)k * sizeof **copy);
  if (!*copy) return rh_fail(RH_ENOMEM, "cannot allocate %lld singular values", (long long)k);
  memcpy(*copy, s, (size_t)k * sizeof **copy);
  qsort(*copy, (size_t)k, sizeof **copy, desc);
  *v = *copy;
  return RH_OK;
}

static rh_status shape_ok(int64_t k, int64_t m, int64_t n) {
  if (m < k || n < k)
    return rh_fail(RH_ESHAPE, "a %lldx%lld matrix cannot have %lld singular values", (long long)m, (long long)n, (long long)k);
  return RH_OK;
}

/* The median of v[0..c-1], descending. */
static double median_desc(const float *v, int64_t c) {
  return c % 2 ? v[c / 2] : 0.5 * ((double)v[c / 2 - 1] + v[c / 2]);
}

static int64_t count_above(const float *v, int64_t k, double t) {
  int64_t r = 0;
  while (r < k && v[r] > t) r++;
  return r;
}

double rh_gd_omega(double b) { return ((0.56 * b - 0.95) * b + 1.82) * b + 1.43; }

rh_status rh_rank_gavish_donoho(const float *s, int64_t k, int64_t m, int64_t n, double *threshold, int64_t *rank) {
  rh_status st = shape_ok(k, m, n);
  float *copy;
  const float *v;
  if (st == RH_OK) st = descending(s, k, &copy, &v);
  if (st != RH_OK) return st;
  double beta = (double)(m < n ? m : n) / (double)(m < n ? n : m);
  double t = rh_gd_omega(beta) * median_desc(v, k);
  *rank = v[0] > 0 ? count_above(v, k, t) : 0;
  if (threshold) *threshold = t;
  free(copy);
  return RH_OK;
}

/* Marchenko-Pastur, ratio beta, variance 1: density sqrt((b-x)(x-a)) / (2 pi beta x) on
 * [a, b], a = (1 - sqrt beta)^2, b = (1 + sqrt beta)^2. With x = a + (b-a)(1 - cos u)/2 the
 * integrand in u in [0, pi] is smooth (also at beta = 1, where the density is infinite at
 * 0), so Simpson's rule on a fixed grid gives the CDF to ~1e-9; the quantile is the u where
 * the normalised CDF crosses q, interpolated linearly. */
#define MP_GRID 512
static double mp_x(double a, double b, double u) { return a + (b - a) * 0.5 * (1.0 - cos(u)); }
#define RH_PI 3.14159265358979323846
static double mp_g(double a, double b, double beta, double u) {
  double h = 0.5 * (b - a) * sin(u), x = mp_x(a, b, u);
  if (x <= 0) return b / (2.0 * RH_PI * beta); /* beta = 1, u = 0: the limit of h^2 / x is b */
  return h * h / (2.0 * RH_PI * beta * x);
}

double rh_mp_quantile(double beta, double q) {
  if (!(beta > 0 && beta <= 1) || !(q > 0 && q < 1)) return NAN;
  double sb = sqrt(beta), a = (1 - sb) * (1 - sb), b = (1 + sb) * (1 + sb);
  static const int G = MP_GRID; /* even */
  double du = RH_PI / G, cdf[MP_GRID / 2 + 1];
  cdf[0] = 0.0;
  /* Simpson over each pair of intervals: cdf[j] is the integral up to u = 2 j du */
  for (int j = 1; j <= G / 2; j++) {
    double u0 = (2 * j - 2) * du;
    cdf[j] = cdf[j - 1] + du / 3.0 * (mp_g(a, b, beta, u0) + 4 * mp_g(a, b, beta, u0 + du) + mp_g(a, b, beta, u0 + 2 * du));
  }
  double goal = q * cdf[G / 2];
  int j = 1;
  while (j < G / 2 && cdf[j] < goal) j++;
  double f = (goal - cdf[j - 1]) / (cdf[j] - cdf[j - 1]);
  return mp_x(a, b, (2 * (j - 1) + 2 * f) * du);
}

rh_status rh_rank_spikes(const float *s, int64_t k, int64_t m, int64_t n, double tw, double *sigma, double *threshold,
                         int64_t *rank) {
  if (!(tw >= 0) || isinf(tw)) return rh_fail(RH_EARG, "Tracy-Widom margin must be a finite number >= 0, got %g", tw);
  rh_status st = shape_ok(k, m, n);
  float *copy;
  const float *v;
  if (st == RH_OK) st = descending(s, k, &copy, &v);
  if (st != RH_OK) return st;
  double big = (double)(m < n ? n : m), small = (double)(m < n ? m : n), beta = small / big;
  double e = sqrt(big) + sqrt(small), scale = cbrt(1.0 / sqrt(big) + 1.0 / sqrt(small));
  double edge_unit = sqrt(e * e + tw * e * scale), sig = 0.0, t = 0.0;
  int64_t r = 0;
  if (v[0] > 0) {
    /* the bulk is v[r..k-1]: the k - r smallest of k noise values, whose median sits near the
     * MP quantile (k - r) / (2k); refit until the count of spikes stops changing */
    for (int it = 0; it < 64; it++) {
      int64_t nb = k - r;
      double med = median_desc(v + r, nb);
      double qm = rh_mp_quantile(beta, (double)nb / (2.0 * (double)k));
      sig = med / sqrt(big * qm);
      t = sig * edge_unit;
      int64_t r2 = count_above(v, k, t);
      if (r2 >= k) r2 = k - 1; /* keep a bulk to fit */
      if (r2 == r) break;
      r = r2;
    }
  }
  *rank = r;
  if (sigma) *sigma = sig;
  if (threshold) *threshold = t;
  free(copy);
  return RH_OK;
}

/* The gap rank with or without the tail step: with tail, the value after s_k (the last of the
 * matrix's min(m, n) singular values) is the floor, so a spectrum with no larger interior
 * drop than the one from s_k to the floor has rank k. */
static rh_status gap_rank(const float *s, int64_t k, double floor, int tail, double *threshold, int64_t *rank) {
  if (!(floor > 0 && floor < 1)) return rh_fail(RH_EARG, "gap floor must be in (0, 1), got %g", floor);
  float *copy;
  const float *v;
  rh_status st = descending(s, k, &copy, &v);
  if (st != RH_OK) return st;
  int64_t r = 0;
  double best = 0.0;
  if (v[0] > 0) {
    /* values below the floor count as the floor (the tail's ratios, e.g. the smallest
     * singular values of a square noise matrix, are ignored) */
    double lo = floor * v[0];
    for (int64_t i = 0; i < k && v[i] > lo; i++) {
      if (i + 1 == k && !tail) break;
      double next = (i + 1 < k && v[i + 1] > lo) ? v[i + 1] : lo;
      double ratio = v[i] / next;
      if (ratio > best) best = ratio, r = i + 1;
    }
  }
  *rank = r;
  if (threshold) *threshold = best;
  free(copy);
  return RH_OK;
}

rh_status rh_rank_gap(const float *s, int64_t k, double floor, double *threshold, int64_t *rank) {
  return gap_rank(s, k, floor, 0, threshold, rank);
}

rh_status rh_rank_gap_full(const float *s, int64_t k, double floor, double *threshold, int64_t *rank) {
  return gap_rank(s, k, floor, 1, threshold, rank);
}

rh_status rh_rank_floor(const float *s, int64_t k, double s0_max, double horizon, double c, double *threshold,
                        int64_t *rank) {
  if (!(s0_max >= 0) || isinf(s0_max)) return rh_fail(RH_EARG, "s0_max must be a finite number >= 0, got %g", s0_max);
  if (!(horizon >= 0) || isinf(horizon)) return rh_fail(RH_EARG, "horizon must be a finite number >= 0, got %g", horizon);
  if (!(c > 0) || isinf(c)) return rh_fail(RH_EARG, "floor constant c must be a finite number > 0, got %g", c);
  float *copy;
  const float *v;
  rh_status st = descending(s, k, &copy, &v);
  if (st != RH_OK) return st;
  double t = c * s0_max * exp(-horizon);
  *rank = count_above(v, k, t);
  if (threshold) *threshold = t;
  free(copy);
  return RH_OK;
}
