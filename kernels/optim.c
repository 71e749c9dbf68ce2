/* optim.c - fused optimizer updates (see optim.h). Each loop does in one pass what
 * PyTorch's single-tensor optimizers do in a chain of tensor ops, in the same order of
 * float32 operations, so that both reach the same weights to round-off. */
#include "optim.h"

#include <math.h>

#include "cuda/nn_cuda.h"
#include "ops_dispatch.h"
#include "simd.h"

/* p, g and each state buffer: contiguous, one shape, one device. */
static rh_status check_state(const rh_tensor *p, const rh_tensor *t, const char *what) {
  char b1[64], b2[64];
  if (!t || !t->storage) return rh_fail(RH_EARG, "%s is missing", what);
  if (!rh_same_shape(p, t))
    return rh_fail(RH_ESHAPE, "parameter is %s but its %s is %s", rh_shape_str(p, b1, sizeof b1), what,
                   rh_shape_str(t, b2, sizeof b2));
  if (!rh_is_contiguous(t)) return rh_fail(RH_EARG, "%s is not contiguous", what);
  if (rh_dev(p) != rh_dev(t)) return rh_fail(RH_EDEVICE, "parameter and %s are on different devices", what);
  return RH_OK;
}

/* The steady state of SGD with momentum (not the first step, no nesterov): the loop of
 * rh_sgd_step with its branches taken out and restrict pointers, so that it vectorizes.
 * Same operations in the same order: the same bits. */
RH_HOT static void sgd_momentum_wd(float *restrict pp, const float *restrict gp, float *restrict bp, int64_t n,
                                   float lr, float wd, float mom, float keep) {
  for (int64_t i = 0; i < n; i++) {
    float d = wd * pp[i];
    d = gp[i] + d;
    float b = bp[i] * mom;
    b = b + keep * d;
    bp[i] = b;
    pp[i] = pp[i] + (-lr) * b;
  }
}

RH_HOT static void sgd_momentum(float *restrict pp, const float *restrict gp, float *restrict bp, int64_t n, float lr,
                                float mom, float keep) {
  for (int64_t i = 0; i < n; i++) {
    float b = bp[i] * mom;
    b = b + keep * gp[i];
    bp[i] = b;
    pp[i] = pp[i] + (-lr) * b;
  }
}

/* Plain SGD (momentum 0, problem 1's regime): d = g + wd p; p = p - lr d. */
RH_HOT static void sgd_plain_wd(float *restrict pp, const float *restrict gp, int64_t n, float lr, float wd) {
  for (int64_t i = 0; i < n; i++) {
    float d = wd * pp[i];
    d = gp[i] + d;
    pp[i] = pp[i] + (-lr) * d;
  }
}

RH_HOT static void sgd_plain(float *restrict pp, const float *restrict gp, int64_t n, float lr) {
  for (int64_t i = 0; i < n; i++) pp[i] = pp[i] + (-lr) * gp[i];
}

/* Whether n floats at a and at b do not overlap (restrict loops need it). */
static int disjoint(const float *a, const float *b, int64_t n) { return a + n <= b || b + n <= a; }

rh_status rh_sgd_step(rh_tensor *p, const rh_tensor *g, rh_tensor *buf, const rh_sgd_opts *o, int first) {
  if (!rh_is_contiguous(p)) return rh_fail(RH_EARG, "parameter is not contiguous");
  rh_status st = check_state(p, g, "gradient");
  if (st == RH_OK && o->momentum != 0.0f) st = check_state(p, buf, "momentum buffer");
  if (st != RH_OK) return st;
  RH_DISPATCH(p, rh_cuda_sgd_step(p, g, buf, o, first));
  float *pp = rh_data(p), *bp = o->momentum != 0.0f ? rh_data(buf) : NULL;
  const float *gp = rh_data(g);
  const float lr = o->lr, wd = o->weight_decay, mom = o->momentum, keep = 1.0f - o->dampening;
  int64_t n = rh_numel(p);
  if (!bp && disjoint(pp, gp, n)) {
    if (wd != 0.0f)
      sgd_plain_wd(pp, gp, n, lr, wd);
    else
      sgd_plain(pp, gp, n, lr);
    return RH_OK;
  }
  if (bp && !first && !o->nesterov && disjoint(pp, gp, n) && disjoint(pp, bp, n) && disjoint(gp, bp, n)) {
    if (wd != 0.0f)
      sgd_momentum_wd(pp, gp, bp, n, lr, wd, mom, keep);
    else
      sgd_momentum(pp, gp, bp, n, lr, mom, keep);
    return RH_OK;
  }
  for (int64_t i = 0; i < n; i++) {
    float d = gp[i];
    if (wd != 0.0f) d = d + wd * pp[i];
    if (bp) {
      float b = first ? d : bp[i] * mom + keep * d;
      bp[i] = b;
      d = o->nesterov ? d + mom * b : b;
    }
    pp[i] = pp[i] + (-lr) * d;
  }
  return RH_OK;
}

rh_status rh_adam_step(rh_tensor *p, const rh_tensor *g, rh_tensor *m, rh_tensor *v, const rh_adam_opts *o,
                       int64_t t) {
  if (!rh_is_contiguous(p)) return rh_fail(RH_EARG, "parameter is not contiguous");
  if (t < 1) return rh_fail(RH_EARG, "step count must be >= 1, got %lld", (long long)t);
  rh_status st = check_state(p, g, "gradient");
  if (st == RH_OK) st = check_state(p, m, "first moment");
  if (st == RH_OK) st = check_state(p, v, "second moment");
  if (st != RH_OK) return st;
  RH_DISPATCH(p, rh_cuda_adam_step(p, g, m, v, o, t));
  /* Scalars as PyTorch computes them: in double (Python floats), used as float32. */
  double bc1 = 1.0 - pow((double)o->beta1, (double)t);
  double bc2 = 1.0 - pow((double)o->beta2, (double)t);
  const float step_size = (float)((double)o->lr / bc1);
  const float bc2_sqrt = (float)sqrt(bc2);
  const float decay = (float)(1.0 - (double)o->lr * (double)o->weight_decay);
  const float w1 = (float)(1.0 - (double)o->beta1), w2 = (float)(1.0 - (double)o->beta2);
  const float b2 = o->beta2, eps = o->eps, wd = o->weight_decay;
  float *pp = rh_data(p), *mp = rh_data(m), *vp = rh_data(v);
  const float *gp = rh_data(g);
  int64_t n = rh_numel(p);
  for (int64_t i = 0; i < n; i++) {
    float gi = gp[i], pi = pp[i];
    if (wd != 0.0f) {
      if (o->decoupled)
        pi = pi * decay;
      else
        gi = gi + wd * pi;
    }
    float mi = mp[i] + w1 * (gi - mp[i]); /* torch.lerp for weights < 0.5 */
    float vi = vp[i] * b2 + w2 * (gi * gi);
    mp[i] = mi;
    vp[i] = vi;
    float denom = sqrtf(vi) / bc2_sqrt + eps;
    pp[i] = pi + (-step_size) * (mi / denom);
  }
  return RH_OK;
}
