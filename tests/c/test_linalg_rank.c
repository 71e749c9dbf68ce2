/* test_linalg_rank.c - the rank measures of kernels/rank.h on hand-computed spectra. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "rank.h"

static rh_rank_result run(const float *s, int64_t k, int64_t m, int64_t n, rh_rank_opts o) {
  rh_rank_result r;
  memset(&r, 0, sizeof r);
  CHECK_OK(rh_rank_measures(s, k, m, n, &o, &r));
  return r;
}

int main(void) {
  rh_rank_opts d = rh_rank_defaults();
  /* s = (3, 1): p = (3/4, 1/4); fro^2 = 10 */
  const float s31[] = {3, 1};
  rh_rank_result r = run(s31, 2, 2, 5, d);
  CHECK(r.numerical == 2 && r.relative == 2);
  CHECK_NEAR(r.effective, exp(-(0.75 * log(0.75) + 0.25 * log(0.25))), 1e-12);
  CHECK_NEAR(r.stable, 10.0 / 9.0, 1e-12);
  CHECK(r.energy == 2); /* 9/10 < 0.99 */
  CHECK_NEAR(r.tol_used, 3 * 5 * RH_FLT32_EPS, 1e-15);
  CHECK_NEAR(r.rtol_used, 5 * RH_FLT32_EPS, 1e-15);
  CHECK_NEAR(r.fro, sqrt(10.0), 1e-12);
  CHECK_NEAR(r.nuclear, 4.0, 1e-12);
  rh_rank_opts o = d;
  o.energy_tau = 0.9; /* exactly 9/10 reached at k = 1 */
  CHECK(run(s31, 2, 2, 2, o).energy == 1);
  /* unsorted input gives the same answers */
  const float s13[] = {1, 3};
  CHECK_NEAR(run(s13, 2, 2, 2, d).effective, r.effective, 1e-12);
  CHECK(run(s13, 2, 2, 2, o).energy == 1);
  /* numpy's tolerance: s_2 just above / below smax * max(m,n) * eps */
  const float near_tol[] = {1.0f, 1.2e-6f, 1.0e-6f};
  CHECK(run(near_tol, 3, 3, 10, d).numerical == 2); /* tol = 1.19e-6 */
  o = d;
  o.tol = 1.1e-6;
  CHECK(run(near_tol, 3, 3, 10, o).numerical == 2);
  o.tol = 0.5e-6;
  CHECK(run(near_tol, 3, 3, 10, o).numerical == 3);
  o = d;
  o.rtol = 0.5;
  CHECK(run(near_tol, 3, 3, 10, o).numerical == 1);
  /* relative rank: s_i / fro > 1e-3 */
  const float rel[] = {3, 4, 0.006f, 0.004f};
  CHECK(run(rel, 4, 4, 4, d).relative == 3);
  /* equal values: effective = stable = count; zeros ignored by 0 log 0 = 0 */
  const float eq[] = {2, 2, 2, 0};
  r = run(eq, 4, 4, 4, d);
  CHECK_NEAR(r.effective, 3.0, 1e-12);
  CHECK_NEAR(r.stable, 3.0, 1e-12);
  CHECK(r.numerical == 3 && r.relative == 3);
  o = d;
  o.energy_tau = 1.0;
  CHECK(run(eq, 4, 4, 4, o).energy == 3);
  /* the zero matrix */
  const float z[] = {0, 0};
  r = run(z, 2, 2, 3, d);
  CHECK(r.numerical == 0 && r.relative == 0 && r.energy == 0 && r.effective == 0 && r.stable == 0);
  /* bad options and values */
  rh_rank_result junk;
  o = d, o.energy_tau = 0;
  CHECK(rh_rank_measures(s31, 2, 2, 2, &o, &junk) == RH_EARG);
  o = d, o.energy_tau = 1.01;
  CHECK(rh_rank_measures(s31, 2, 2, 2, &o, &junk) == RH_EARG);
  o = d, o.tol = 1, o.rtol = 1;
  CHECK(rh_rank_measures(s31, 2, 2, 2, &o, &junk) == RH_EARG);
  o = d, o.tol = NAN;
  CHECK(rh_rank_measures(s31, 2, 2, 2, &o, &junk) == RH_EARG);
  o = d, o.relative_tol = -1;
  CHECK(rh_rank_measures(s31, 2, 2, 2, &o, &junk) == RH_EARG);
  const float bad[] = {1, NAN}, neg[] = {1, -1};
  CHECK(rh_rank_measures(bad, 2, 2, 2, &d, &junk) == RH_ENUMERIC);
  CHECK(rh_rank_measures(neg, 2, 2, 2, &d, &junk) == RH_ENUMERIC);
  CHECK(rh_rank_measures(s31, 0, 2, 2, &d, &junk) == RH_ESHAPE);
  CHECK(rh_rank_measures(s31, 2, 1, 2, &d, &junk) == RH_ESHAPE);
  return check_report();
}
