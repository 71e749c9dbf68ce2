/* nn_meter.h - the loss meter's update rule (nn.h: RH_M_*), shared by the CPU kernel
 * (nn.c) and the CUDA kernel (cuda/nn_cuda.cu) so that both record a step alike. */
#ifndef RH_NN_METER_H
#define RH_NN_METER_H

#include <math.h>

#include "nn.h"

#include "hostdevice.h"

/* A pair m[k], m[k+1] holds hi + lo with hi = (float)value, lo = (float)(value - hi). */
static inline RH_HD double rh_meter_get(const float *m, int k) { return (double)m[k] + (double)m[k + 1]; }
static inline RH_HD void rh_meter_set(float *m, int k, double v) {
  float hi = (float)v;
  m[k] = hi;
  m[k + 1] = isfinite(hi) ? (float)(v - (double)hi) : 0.0f; /* an infinite sum stays infinite */
}

/* Records one step: B rows whose losses sum to `total`, `correct` of them predicted right;
 * bad_pos > 0 (1-based) refuses the step for the label bad_value at that position. */
static inline RH_HD void rh_meter_record(float *m, double total, double B, double correct, double bad_pos,
                                         float bad_value) {
  double step = rh_meter_get(m, RH_M_STEPS) + 1.0;
  rh_meter_set(m, RH_M_STEPS, step);
  if (bad_pos > 0) {
    if (m[RH_M_BAD_POS] == 0.0f) {
      m[RH_M_BAD_POS] = (float)bad_pos;
      m[RH_M_BAD_VALUE] = bad_value;
      rh_meter_set(m, RH_M_BAD_STEP, step);
    }
    return;
  }
  double mean = B > 0 ? total / B : 0.0;
  m[RH_M_LAST] = (float)mean;
  rh_meter_set(m, RH_M_SUM, rh_meter_get(m, RH_M_SUM) + total);
  rh_meter_set(m, RH_M_N, rh_meter_get(m, RH_M_N) + B);
  rh_meter_set(m, RH_M_CORRECT, rh_meter_get(m, RH_M_CORRECT) + correct);
  if (!isfinite(mean) && rh_meter_get(m, RH_M_NONFINITE) == 0.0) {
    rh_meter_set(m, RH_M_NONFINITE, step);
    m[RH_M_NONFINITE_LOSS] = (float)mean;
  }
}

#endif
