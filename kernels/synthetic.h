/* synthetic.h - seeded synthetic classification tasks whose complexity is known, for
 * testing whether a network's convergent rank tracks the task's complexity.
 *
 * Each generator fills a float dataset (rh_dataset_new_f32) from one PCG32 stream seeded
 * by `seed`, so a seed gives the same data on every machine. Class ids are 1..classes. */
#ifndef RH_SYNTHETIC_H
#define RH_SYNTHETIC_H

#include "dataset.h"

/* Teacher: x ~ N(0, I_dim); U = A B (hidden x dim) with A (hidden x rank) and B (rank x
 * dim) standard normal, so U has rank `rank`; V (classes x hidden) standard normal with
 * unit rows; label = argmax_c V_c . (ReLU(U x) - m) where m_j = |U_j| / sqrt(2 pi) is
 * E[ReLU(U_j x)], centring the hidden layer so that no class dominates. Then a `noise`
 * fraction of examples (chosen by a seeded shuffle) get a uniformly random *other*
 * class. U and V receive the teacher (row-major; either may be NULL). */
rh_status rh_synth_teacher(rh_dataset *ds, float *U, float *V, int64_t n, int64_t dim, int64_t rank, int64_t hidden,
                           int classes, double noise, uint64_t seed);

/* k-sparse parity: x uniform in {-1,+1}^bits; k coordinates chosen by a seeded shuffle
 * (coords receives them 0-based, ascending; may be NULL); label = 1 when the product of
 * those coordinates is +1, 2 when it is -1. */
rh_status rh_synth_parity(rh_dataset *ds, int64_t *coords, int64_t n, int64_t bits, int64_t k, uint64_t seed);

/* Gaussian mixture: class means mu_c ~ N(0, spread^2 I_dim) (means receives them,
 * classes x dim, may be NULL); labels uniform over classes; x = mu_y + N(0, I_dim). */
rh_status rh_synth_mixture(rh_dataset *ds, float *means, int64_t n, int64_t dim, int classes, double spread,
                           uint64_t seed);

#endif
