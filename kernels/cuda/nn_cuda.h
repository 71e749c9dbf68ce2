/* nn_cuda.h - the CUDA twins of the layer, loss and optimizer kernels (nn.h, optim.h),
 * same contracts; the CPU kernels dispatch device tensors here. Defined in the .cu
 * files of kernels/cuda (the module); the list's form: device.h. */
#ifndef RH_NN_CUDA_H
#define RH_NN_CUDA_H
#include "../nn.h"
#include "../optim.h"
#include "device.h"

#define RH_CUDA_NN_API(X)                                                                                        \
  X(FWD, rh_status, rh_cuda_linear_forward,                                                                     \
    (rh_tensor *y, const rh_tensor *x, const rh_tensor *w, const rh_tensor *b, int relu), (y, x, w, b, relu))   \
  X(FWD, rh_status, rh_cuda_linear_backward,                                                                    \
    (rh_tensor *gx, rh_tensor *gw, rh_tensor *gb, const rh_tensor *x, const rh_tensor *w, const rh_tensor *gy), \
    (gx, gw, gb, x, w, gy))                                                                                     \
  X(FWD, rh_status, rh_cuda_relu_backward, (rh_tensor *gx, const rh_tensor *y, const rh_tensor *gy), (gx, y, gy)) \
  /* Labels are validated on the device before any gradient is written; the error (a read                     \
   * back) names the first bad label. */                                                                        \
  X(FWD, rh_status, rh_cuda_cross_entropy,                                                                      \
    (const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, double *loss), (logits, labels, grad, loss)) \
  /* Queues the loss into the meter (nn.h) without synchronising; a bad label refuses the                      \
   * step on the device (no gradient, no loss written) and is noted in the meter. */                           \
  X(FWD, rh_status, rh_cuda_cross_entropy_acc,                                                                  \
    (const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, rh_tensor *meter),                      \
    (logits, labels, grad, meter))                                                                              \
  X(FWD, rh_status, rh_cuda_mse, (const rh_tensor *y, const rh_tensor *t, rh_tensor *grad, double *loss),       \
    (y, t, grad, loss))                                                                                         \
  X(FWD, rh_status, rh_cuda_count_correct, (const rh_tensor *logits, const rh_tensor *labels, int64_t *correct), \
    (logits, labels, correct))                                                                                  \
  X(FWD, rh_status, rh_cuda_sgd_step,                                                                           \
    (rh_tensor *p, const rh_tensor *g, rh_tensor *buf, const rh_sgd_opts *o, int first), (p, g, buf, o, first)) \
  X(FWD, rh_status, rh_cuda_adam_step,                                                                          \
    (rh_tensor *p, const rh_tensor *g, rh_tensor *m, rh_tensor *v, const rh_adam_opts *o, int64_t t),           \
    (p, g, m, v, o, t))

RH_CUDA_NN_API(RH_CUDA_DECLARE)
#endif
