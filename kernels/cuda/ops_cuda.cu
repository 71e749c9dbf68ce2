/* ops_cuda.cu - the CUDA twins of the elementwise, broadcasting and copy kernels of ops.h
 * (contracts in ops_cuda.h). Reductions are in reduce_cuda.cu, products and gathers in
 * gemm_cuda.cu. Each launcher checks what ops.c does not check before dispatching, then
 * queues its kernel on rankhost's one stream; nothing here waits for the device. */
#include <math.h>
#include <string.h>

#include "cuda_internal.h"
#include "cuda_walk.cuh"

extern "C" {
#include "ops_cuda.h"
}

/* the element functions: kernels/elementwise.h, shared with the CPU kernels */
#include "../elementwise.h"

enum kind1 { K_UNARY, K_POW, K_CLAMP, K_AFFINE };

__device__ __forceinline__ float apply1(kind1 k, rh_unary op, float p, float q, float x) {
  switch (k) {
    case K_UNARY: return rh_unary1(op, x);
    case K_POW: return p == 2.0f ? x * x : (p == 0.5f ? sqrtf(x) : powf(x, p));
    case K_CLAMP: return x < p ? p : (x > q ? q : x);
    case K_AFFINE: return x * p + q;
  }
  return x;
}

/* ---- kernels ---- */

__global__ void k_fill(float *o, shape4 sz, shape4 so, int64_t n, float v) {
  RH_GRID_LOOP(i, n) o[rh_offset(i, sz, so)] = v;
}

__global__ void k_fill_contig(float *o, int64_t n, float v) {
  RH_GRID_LOOP(i, n) o[i] = v;
}

__global__ void k_map(kind1 k, rh_unary op, float p, float q, float *o, shape4 so, const float *a, shape4 sa,
                      shape4 sz, int64_t n, int contig) {
  if (contig) {
    RH_GRID_LOOP(i, n) o[i] = apply1(k, op, p, q, a[i]);
  } else {
    RH_GRID_LOOP(i, n) o[rh_offset(i, sz, so)] = apply1(k, op, p, q, a[rh_offset(i, sz, sa)]);
  }
}

/* o = a op b (b_is_scalar: b is the value s; scalar_first: s op a) */
__global__ void k_binop(rh_binary op, float *o, shape4 so, const float *a, shape4 sa, const float *b, shape4 sb,
                        shape4 sz, int64_t n, int contig) {
  if (contig) {
    RH_GRID_LOOP(i, n) o[i] = rh_binary1(op, a[i], b[i]);
  } else {
    RH_GRID_LOOP(i, n) o[rh_offset(i, sz, so)] = rh_binary1(op, a[rh_offset(i, sz, sa)], b[rh_offset(i, sz, sb)]);
  }
}

__global__ void k_binop_scalar(rh_binary op, float *o, shape4 so, const float *a, shape4 sa, shape4 sz, int64_t n,
                               float s, int scalar_first) {
  RH_GRID_LOOP(i, n) {
    float x = a[rh_offset(i, sz, sa)];
    o[rh_offset(i, sz, so)] = scalar_first ? rh_binary1(op, s, x) : rh_binary1(op, x, s);
  }
}

__global__ void k_axpy(float *t, shape4 st, const float *u, shape4 su, shape4 sz, int64_t n, float alpha) {
  RH_GRID_LOOP(i, n) t[rh_offset(i, sz, st)] += alpha * u[rh_offset(i, sz, su)];
}

/* dst and src walked each in its own row-major order (same numel, maybe different shapes) */
__global__ void k_copy(float *d, shape4 dsz, shape4 dst_, const float *s, shape4 ssz, shape4 sst, int64_t n) {
  RH_GRID_LOOP(i, n) d[rh_offset(i, dsz, dst_)] = s[rh_offset(i, ssz, sst)];
}

/* ---- launchers ---- */

extern "C" rh_status rh_cuda_fill(rh_tensor *t, float v) {
  int64_t n = rh_numel(t);
  if (n == 0) return RH_OK;
  rh_status st = rh_cuda_init();
  if (st != RH_OK) return st;
  if (rh_is_contiguous(t)) {
    if (v == 0.0f)
      return rh_cuda_check(cudaMemsetAsync(rh_data(t), 0, (size_t)n * sizeof(float), rh_cuda_stream()), "fill");
    k_fill_contig<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(t), n, v);
  } else {
    k_fill<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(t), rh_shape4(t->size, t->ndim),
                                                              rh_stride4(t, t->ndim), n, v);
  }
  return rh_cuda_launched("fill");
}

/* ops.c has checked that out and a match in shape and device before dispatching. */
static rh_status map1(rh_tensor *out, const rh_tensor *a, kind1 k, rh_unary op, float p, float q) {
  int64_t n = rh_numel(a);
  if (n == 0) return RH_OK;
  int contig = rh_is_contiguous(out) && rh_is_contiguous(a);
  k_map<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(k, op, p, q, rh_data(out), rh_stride4(out, a->ndim),
                                                            rh_data(a), rh_stride4(a, a->ndim),
                                                            rh_shape4(a->size, a->ndim), n, contig);
  return rh_cuda_launched("map");
}

extern "C" rh_status rh_cuda_map(rh_tensor *out, const rh_tensor *a, rh_unary op) {
  return map1(out, a, K_UNARY, op, 0, 0);
}
extern "C" rh_status rh_cuda_pow_scalar(rh_tensor *out, const rh_tensor *a, float p) {
  return map1(out, a, K_POW, RH_NEG, p, 0);
}
extern "C" rh_status rh_cuda_clamp(rh_tensor *out, const rh_tensor *a, float lo, float hi) {
  return map1(out, a, K_CLAMP, RH_NEG, lo, hi);
}
extern "C" rh_status rh_cuda_affine(rh_tensor *out, const rh_tensor *a, float alpha, float beta) {
  return map1(out, a, K_AFFINE, RH_NEG, alpha, beta);
}

/* rh_binop has checked the broadcast shape of out and the devices. */
extern "C" rh_status rh_cuda_binop(rh_tensor *out, const rh_tensor *a, const rh_tensor *b, rh_binary op) {
  int64_t n = rh_numel(out);
  if (n == 0) return RH_OK;
  int nd = out->ndim;
  int contig = rh_same_shape(a, b) && rh_same_shape(a, out) && rh_is_contiguous(a) && rh_is_contiguous(b) &&
               rh_is_contiguous(out);
  k_binop<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(op, rh_data(out), rh_stride4(out, nd), rh_data(a),
                                                              rh_stride4(a, nd), rh_data(b), rh_stride4(b, nd),
                                                              rh_shape4(out->size, nd), n, contig);
  return rh_cuda_launched("binop");
}

extern "C" rh_status rh_cuda_binop_scalar(rh_tensor *out, const rh_tensor *a, float s, rh_binary op,
                                          int scalar_first) {
  int64_t n = rh_numel(a);
  if (n == 0) return RH_OK;
  k_binop_scalar<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(op, rh_data(out), rh_stride4(out, a->ndim),
                                                                     rh_data(a), rh_stride4(a, a->ndim),
                                                                     rh_shape4(a->size, a->ndim), n, s, scalar_first);
  return rh_cuda_launched("binop_scalar");
}

/* rh_axpy has checked that u broadcasts to t and the devices. */
extern "C" rh_status rh_cuda_axpy(rh_tensor *t, const rh_tensor *u, float alpha) {
  int64_t n = rh_numel(t);
  if (n == 0) return RH_OK;
  k_axpy<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(t), rh_stride4(t, t->ndim), rh_data(u),
                                                             rh_stride4(u, t->ndim), rh_shape4(t->size, t->ndim),
                                                             n, alpha);
  return rh_cuda_launched("axpy");
}

/* Plain strides (no broadcast zeroing) padded to 4: a copy walks every element. */
static shape4 own_strides(const rh_tensor *t) {
  shape4 s;
  for (int d = 0; d < 4; d++) s.n[d] = 0;
  for (int d = 0; d < t->ndim; d++) s.n[4 - t->ndim + d] = t->stride[d];
  return s;
}

extern "C" rh_status rh_cuda_copy(rh_tensor *dst, const rh_tensor *src) {
  int64_t n = rh_numel(src);
  if (rh_numel(dst) != n) {
    char a[64], b[64];
    return rh_fail(RH_ESHAPE, "cannot copy %s into %s", rh_shape_str(src, a, sizeof a), rh_shape_str(dst, b, sizeof b));
  }
  if (rh_dev(dst) != RH_CUDA || rh_dev(src) != RH_CUDA) return rh_fail(RH_EDEVICE, "device copy of a host tensor");
  if (n == 0) return RH_OK;
  if (rh_is_contiguous(dst) && rh_is_contiguous(src))
    return rh_cuda_memcpy(rh_data(dst), 1, rh_data(src), 1, (size_t)n * sizeof(float));
  k_copy<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(dst), rh_shape4(dst->size, dst->ndim),
                                                             own_strides(dst), rh_data(src),
                                                             rh_shape4(src->size, src->ndim), own_strides(src), n);
  return rh_cuda_launched("copy");
}
