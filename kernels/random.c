/* random.c - PCG32 and the distributions built on it (see random.h). */
#include "random.h"

#include <math.h>

void rh_rng_seed(rh_rng *r, uint64_t seed, uint64_t stream) {
  r->state = 0;
  r->inc = (stream << 1u) | 1u;
  rh_rng_u32(r);
  r->state += seed;
  rh_rng_u32(r);
}

uint32_t rh_rng_u32(rh_rng *r) {
  uint64_t old = r->state;
  r->state = old * 6364136223846793005ULL + r->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

float rh_rng_uniform(rh_rng *r) { return (float)(rh_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

float rh_rng_normal(rh_rng *r) {
  double u1 = ((double)(rh_rng_u32(r) >> 8) + 1.0) / 16777216.0; /* (0, 1] */
  double u2 = (double)(rh_rng_u32(r) >> 8) / 16777216.0;         /* [0, 1) */
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint32_t rh_rng_below(rh_rng *r, uint32_t n) {
  uint64_t m = (uint64_t)rh_rng_u32(r) * n;
  uint32_t l = (uint32_t)m;
  if (l < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (l < t) {
      m = (uint64_t)rh_rng_u32(r) * n;
      l = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

void rh_rng_shuffle(rh_rng *r, int64_t *idx, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)rh_rng_below(r, (uint32_t)(i + 1));
    int64_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

void rh_fill_uniform(rh_rng *r, float *p, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * rh_rng_uniform(r);
}

void rh_fill_normal(rh_rng *r, float *p, int64_t n, float mean, float std) {
  for (int64_t i = 0; i < n; i++) p[i] = mean + std * rh_rng_normal(r);
}
