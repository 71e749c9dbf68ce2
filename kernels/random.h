/* random.h - the one random number generator of rankhost.
 *
 * PCG32 (O'Neill 2014, "PCG-XSH-RR 64/32", increment 1442695040888963407): 64-bit LCG
 * state, 32-bit output. Integer-only, so the same seed gives the same stream on every
 * machine. Floats: uniform [0,1) = (x >> 8) * 2^-24. Normals: Box-Muller in double on
 * two uniforms (u1 in (0,1]), the cosine branch only, one normal per two draws. */
#ifndef RH_RANDOM_H
#define RH_RANDOM_H

#include <stdint.h>

typedef struct rh_rng {
  uint64_t state;
  uint64_t inc;
} rh_rng;

void rh_rng_seed(rh_rng *r, uint64_t seed, uint64_t stream);
uint32_t rh_rng_u32(rh_rng *r);
/* Uniform float in [0, 1). */
float rh_rng_uniform(rh_rng *r);
/* Standard normal (mean 0, variance 1). */
float rh_rng_normal(rh_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's rejection). n >= 1. */
uint32_t rh_rng_below(rh_rng *r, uint32_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void rh_rng_shuffle(rh_rng *r, int64_t *idx, int64_t n);

/* Fill n floats at p (host memory). */
void rh_fill_uniform(rh_rng *r, float *p, int64_t n, float lo, float hi);
void rh_fill_normal(rh_rng *r, float *p, int64_t n, float mean, float std);

#endif
