/* elementwise.h - the per-element formulas of the tensor kernels, one definition for the
 * CPU (ops.c, nn.c) and the GPU (the .cu files of kernels/cuda), so that both compute the
 * same thing, NaN and infinities included. */
#ifndef RH_ELEMENTWISE_H
#define RH_ELEMENTWISE_H

#include <math.h>

#include "hostdevice.h"
#include "ops.h"

/* ReLU lets NaN through (as PyTorch does), so a diverging run shows up as NaN. */
static inline RH_HD float rh_relu1(float x) { return x < 0.0f ? 0.0f : x; }

static inline RH_HD float rh_unary1(rh_unary op, float x) {
  switch (op) {
    case RH_NEG: return -x;
    case RH_ABS: return fabsf(x);
    case RH_EXP: return expf(x);
    case RH_LOG: return logf(x);
    case RH_SQRT: return sqrtf(x);
    case RH_RELU: return rh_relu1(x);
    case RH_SQUARE: return x * x;
    case RH_SIGN: return (float)((x > 0.0f) - (x < 0.0f));
    case RH_TANH: return tanhf(x);
    case RH_SIGMOID: return 1.0f / (1.0f + expf(-x));
  }
  return x;
}

static inline RH_HD float rh_binary1(rh_binary op, float x, float y) {
  switch (op) {
    case RH_ADD: return x + y;
    case RH_SUB: return x - y;
    case RH_MUL: return x * y;
    case RH_DIV: return x / y;
    case RH_MAX2: return x > y ? x : y;
    case RH_MIN2: return x < y ? x : y;
    case RH_POW2: return powf(x, y);
  }
  return x;
}

#endif
