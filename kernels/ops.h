/* ops.h - CPU kernels over tensors: fills, elementwise maps and arithmetic with
 * broadcasting, reductions, matrix products. Outputs are allocated by the caller
 * (shapes are checked here); each kernel dispatches on the storage's device. */
#ifndef RH_OPS_H
#define RH_OPS_H

#include "random.h"
#include "tensor.h"

/* ---- fills ---- */
rh_status rh_fill(rh_tensor *t, float v);
rh_status rh_fill_rand(rh_tensor *t, rh_rng *r, float lo, float hi); /* uniform [lo,hi) */
rh_status rh_fill_randn(rh_tensor *t, rh_rng *r, float mean, float std);
rh_status rh_fill_eye(rh_tensor *t);
rh_status rh_fill_arange(rh_tensor *t, float start, float step);

/* ---- elementwise maps: out = f(a); out may be a (in place) ---- */
typedef enum rh_unary {
  RH_NEG, RH_ABS, RH_EXP, RH_LOG, RH_SQRT, RH_RELU, RH_SQUARE, RH_SIGN, RH_TANH, RH_SIGMOID
} rh_unary;
rh_status rh_map(rh_tensor *out, const rh_tensor *a, rh_unary op);
rh_status rh_pow_scalar(rh_tensor *out, const rh_tensor *a, float p);
rh_status rh_clamp(rh_tensor *out, const rh_tensor *a, float lo, float hi);
/* out = a * alpha + beta */
rh_status rh_affine(rh_tensor *out, const rh_tensor *a, float alpha, float beta);

/* ---- binary with broadcasting (numpy rules over <= 4 dims) ---- */
typedef enum rh_binary { RH_ADD, RH_SUB, RH_MUL, RH_DIV, RH_MAX2, RH_MIN2, RH_POW2 } rh_binary;
/* The broadcast shape of a and b into ndim/size; RH_ESHAPE if they do not broadcast. */
rh_status rh_broadcast_shape(const rh_tensor *a, const rh_tensor *b, int *ndim, int64_t *size);
/* out = a op b; out has the broadcast shape (out may alias a when shapes equal). */
rh_status rh_binop(rh_tensor *out, const rh_tensor *a, const rh_tensor *b, rh_binary op);
/* out = scalar op a (reverse) or a op scalar */
rh_status rh_binop_scalar(rh_tensor *out, const rh_tensor *a, float s, rh_binary op, int scalar_first);
/* t += alpha * u, in place, u broadcast to t's shape */
rh_status rh_axpy(rh_tensor *t, const rh_tensor *u, float alpha);

/* ---- reductions ---- */
typedef enum rh_reduce { RH_SUM, RH_MEAN, RH_RMAX, RH_RMIN, RH_SUMSQ } rh_reduce;
/* Whole-tensor reduction, accumulated in double. */
rh_status rh_reduce_all(const rh_tensor *a, rh_reduce op, double *result);
/* Reduction along `dim` (0-based); out has a's shape with size 1 at dim.
 * For RH_RMAX/RH_RMIN, idx (may be NULL) receives 0-based argmax/argmin as floats. */
rh_status rh_reduce_dim(rh_tensor *out, rh_tensor *idx, const rh_tensor *a, int dim, rh_reduce op);
/* Position of the max/min of the whole tensor (0-based, row-major). */
rh_status rh_arg_all(const rh_tensor *a, int want_max, int64_t *pos, float *value);
/* 1 if every entry is finite. */
rh_status rh_all_finite(const rh_tensor *a, int *finite);

/* ---- matrix products ---- */
/* C = alpha * op(A) op(B) + beta * C for 2-D tensors; transposed or strided views go
 * to cblas_sgemm without copies whenever one of their strides is 1. */
rh_status rh_gemm(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta);
/* Wall-clock seconds spent inside cblas_sgemm by rh_gemm so far, and the number of
 * calls (CPU products only; monotonic counters of the whole process). Benchmarks read it
 * before and after a training step to split the step into products and the rest. */
void rh_gemm_clock(double *seconds, int64_t *calls);
/* The naive triple loop, kept as the reference for tests. */
rh_status rh_gemm_ref(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float alpha, float beta);

/* ---- gathers ---- */
/* out = rows (dim 0) or columns (dim 1) of a 2-D/1-D a picked by 0-based idx[0..n). */
rh_status rh_index_select(rh_tensor *out, const rh_tensor *a, int dim, const int64_t *idx, int64_t n);

#endif
