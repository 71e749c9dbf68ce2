/* rank.h - rank measures of a matrix, computed from its singular values (cheap: O(k)
 * after the SVD). Formulas and sources are in docs/rank.md. */
#ifndef RH_RANK_H
#define RH_RANK_H

#include <stdint.h>

#include "status.h"

/* eps(float32) = 2^-23, numpy's finfo(float32).eps */
#define RH_FLT32_EPS 1.1920928955078125e-07

typedef struct rh_rank_opts {
  double tol;          /* numerical rank: absolute tolerance; < 0 (or NaN-free default -1) = unset */
  double rtol;         /* numerical rank: tolerance relative to s_1; < 0 = unset (numpy: max(m,n)*eps) */
  double relative_tol; /* relative rank: count of s_i/||W||_F > relative_tol (default 1e-3) */
  double energy_tau;   /* energy rank: fraction of sum s_i^2 to reach, in (0, 1] (default 0.99) */
} rh_rank_opts;

/* The defaults: tol and rtol unset, relative_tol 1e-3, energy_tau 0.99. */
rh_rank_opts rh_rank_defaults(void);

typedef struct rh_rank_result {
  int64_t k, m, n;    /* number of singular values; the matrix shape used for numpy's tolerance */
  double smax, fro, nuclear;
  double tol_used;    /* the absolute tolerance the numerical rank used */
  double rtol_used;   /* that tolerance divided by s_1 (the relative form; max(m,n)*eps by default) */
  int64_t numerical;  /* #{s_i > tol_used} */
  int64_t relative;   /* #{s_i / ||W||_F > relative_tol} */
  double effective;   /* exp(-sum p_i log p_i), p = s / sum s */
  double stable;      /* ||W||_F^2 / s_1^2 */
  int64_t energy;     /* min k' with sum_{i<=k'} s_i^2 >= tau sum s_i^2 */
} rh_rank_result;

/* Checks the options (tol/rtol >= 0 and not both set, relative_tol >= 0, tau in (0, 1])
 * and the singular values (finite, >= 0), sorts a copy when s is not descending, and
 * fills every measure. m, n: the matrix shape (for numpy's default tolerance); pass
 * m = n = k when only the values are known. The zero matrix has every rank 0. */
rh_status rh_rank_measures(const float *s, int64_t k, int64_t m, int64_t n, const rh_rank_opts *opts, rh_rank_result *out);

/* Only the option checks of rh_rank_measures (so bindings can refuse before an SVD). */
rh_status rh_rank_check_opts(const rh_rank_opts *opts);

#endif
