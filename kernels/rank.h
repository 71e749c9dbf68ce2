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

/* ---- Estimators of the rank of a noisy low-rank matrix (docs/rank.md) ----
 * Each takes the k singular values s of an m x n matrix (any order: a sorted copy is used
 * when s is not descending; finite and >= 0), returns its rank in *rank and the threshold
 * it compared with in *threshold (may be NULL). */

/* Gavish & Donoho (2014), unknown noise: omega(beta) = 0.56 b^3 - 0.95 b^2 + 1.82 b + 1.43,
 * beta = min(m,n)/max(m,n). */
double rh_gd_omega(double beta);
/* #{s_i > omega(beta) * median(s)}. */
rh_status rh_rank_gavish_donoho(const float *s, int64_t k, int64_t m, int64_t n, double *threshold, int64_t *rank);

/* The median of the Marchenko-Pastur law of ratio beta in (0, 1] and variance 1 (the law of
 * the eigenvalues of X^T X / N, X an N x M matrix of iid unit-variance entries, beta = M/N),
 * and more generally its q-quantile, q in (0, 1). */
double rh_mp_quantile(double beta, double q);
/* Spikes above the Marchenko-Pastur bulk: sigma fitted so that the median of the bulk (the
 * values not counted as spikes) sits at the MP quantile it would have for pure noise,
 * iterated until the count stops changing; the edge is sigma * sqrt(e^2 + tw * e * c),
 * e = sqrt(m) + sqrt(n), c = (1/sqrt(m) + 1/sqrt(n))^(1/3): the MP edge e*sigma moved up by
 * tw Tracy-Widom scales (Johnstone 2001; tw = 0 is the bare edge). *sigma (may be NULL) is
 * the fitted noise level per entry. */
rh_status rh_rank_spikes(const float *s, int64_t k, int64_t m, int64_t n, double tw, double *sigma, double *threshold,
                         int64_t *rank);

/* The position i < k of the largest ratio s_i / max(s_(i+1), floor * s_1) over the i with
 * s_i > floor * s_1: values below the relative floor (0 < floor < 1) count as the floor, so
 * the tail's ratios are ignored. The first such i among equal ratios (1 for a flat
 * spectrum, which has no gap), 1 when k = 1, 0 for the zero matrix. *threshold: the ratio. */
rh_status rh_rank_gap(const float *s, int64_t k, double floor, double *threshold, int64_t *rank);

/* rh_rank_gap with the tail step: s holds all min(m, n) singular values, and the value after
 * the last is the floor (the matrix's zeros), so the drop from s_k to the floor competes with
 * the interior ratios. A matrix that uses all its directions with no larger interior drop
 * (a random w x n matrix with w << n, a layer whose width is its rank) has rank k, which
 * rh_rank_gap, at most k - 1, cannot say. k = 1 gives 1 (0 for zero). */
rh_status rh_rank_gap_full(const float *s, int64_t k, double floor, double *threshold, int64_t *rank);

/* #{s_i > c * s0_max * exp(-horizon)}: above what weight decay alone leaves of an
 * initialisation whose largest singular value was s0_max. */
rh_status rh_rank_floor(const float *s, int64_t k, double s0_max, double horizon, double c, double *threshold,
                        int64_t *rank);

#endif
