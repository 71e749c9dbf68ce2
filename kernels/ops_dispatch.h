/* ops_dispatch.h - sends a kernel call on a device tensor to the CUDA backend.
 * The CUDA entry points (kernels/cuda/ops_cuda.h) exist in every build: without CUDA
 * they report "built without CUDA". */
#ifndef RH_OPS_DISPATCH_H
#define RH_OPS_DISPATCH_H
#include "cuda/ops_cuda.h"

#define RH_DISPATCH(t, call)               \
  do {                                     \
    if (rh_dev(t) != RH_CPU) return (call); \
  } while (0)
#endif
