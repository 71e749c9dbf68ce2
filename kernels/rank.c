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
