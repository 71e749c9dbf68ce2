/* ops_cuda.h - the CUDA versions of the tensor kernels in ops.h, same contracts.
 * Defined in the .cu files of kernels/cuda (the module); the list's form: device.h. */
#ifndef RH_OPS_CUDA_H
#define RH_OPS_CUDA_H
#include "../ops.h"
#include "device.h"

#define RH_CUDA_OPS_API(X)                                                                                       \
  X(FWD, rh_status, rh_cuda_fill, (rh_tensor *t, float v), (t, v))                                              \
  X(FWD, rh_status, rh_cuda_map, (rh_tensor *out, const rh_tensor *a, rh_unary op), (out, a, op))               \
  X(FWD, rh_status, rh_cuda_pow_scalar, (rh_tensor *out, const rh_tensor *a, float p), (out, a, p))             \
  X(FWD, rh_status, rh_cuda_clamp, (rh_tensor *out, const rh_tensor *a, float lo, float hi), (out, a, lo, hi))  \
  X(FWD, rh_status, rh_cuda_affine, (rh_tensor *out, const rh_tensor *a, float alpha, float beta),              \
    (out, a, alpha, beta))                                                                                      \
  X(FWD, rh_status, rh_cuda_binop, (rh_tensor *out, const rh_tensor *a, const rh_tensor *b, rh_binary op),      \
    (out, a, b, op))                                                                                            \
  X(FWD, rh_status, rh_cuda_binop_scalar,                                                                       \
    (rh_tensor *out, const rh_tensor *a, float s, rh_binary op, int scalar_first), (out, a, s, op, scalar_first)) \
  X(FWD, rh_status, rh_cuda_axpy, (rh_tensor *t, const rh_tensor *u, float alpha), (t, u, alpha))               \
  X(FWD, rh_status, rh_cuda_reduce_all, (const rh_tensor *a, rh_reduce op, double *result), (a, op, result))    \
  X(FWD, rh_status, rh_cuda_reduce_dim, (rh_tensor *out, rh_tensor *idx, const rh_tensor *a, int dim, rh_reduce op), \
    (out, idx, a, dim, op))                                                                                     \
  X(FWD, rh_status, rh_cuda_gemm, (rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta), \
    (c, a, b, alpha, beta))                                                                                     \
  X(FWD, rh_status, rh_cuda_index_select, (rh_tensor *out, const rh_tensor *a, int dim, const int64_t *idx, int64_t n), \
    (out, a, dim, idx, n))                                                                                      \
  /* dst = src for two device tensors of equal numel, any strides, each walked row-major. */                   \
  X(FWD, rh_status, rh_cuda_copy, (rh_tensor *dst, const rh_tensor *src), (dst, src))

RH_CUDA_OPS_API(RH_CUDA_DECLARE)
#endif
