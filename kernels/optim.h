/* optim.h - fused optimizer updates: one kernel call updates one parameter in a single
 * pass over its elements, with exactly the arithmetic of PyTorch's torch.optim.SGD,
 * Adam and AdamW (single-tensor implementations, maximize=False, amsgrad=False).
 * Parameters, gradients and state buffers are contiguous tensors of equal shape. */
#ifndef RH_OPTIM_H
#define RH_OPTIM_H

#include "tensor.h"

typedef struct rh_sgd_opts {
  float lr, momentum, dampening, weight_decay;
  int nesterov;
} rh_sgd_opts;

/* PyTorch's SGD, per element:
 *   d = g + wd * p
 *   if momentum != 0:
 *     buf = first ? d : momentum * buf + (1 - dampening) * d   (no dampening on step 1)
 *     d   = nesterov ? d + momentum * buf : buf
 *   p -= lr * d
 * buf may be NULL when momentum == 0; `first` says that buf holds no state yet. */
rh_status rh_sgd_step(rh_tensor *p, const rh_tensor *g, rh_tensor *buf, const rh_sgd_opts *o, int first);

typedef struct rh_adam_opts {
  float lr, beta1, beta2, eps, weight_decay;
  int decoupled; /* 0: Adam (g += wd * p); 1: AdamW (p *= 1 - lr * wd) */
} rh_adam_opts;

/* PyTorch's Adam / AdamW at step t (1-based, the count after this update):
 *   AdamW: p *= 1 - lr * wd          Adam: g = g + wd * p
 *   m = m + (1 - beta1) (g - m)      v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps) */
rh_status rh_adam_step(rh_tensor *p, const rh_tensor *g, rh_tensor *m, rh_tensor *v, const rh_adam_opts *o,
                       int64_t t);

#endif
