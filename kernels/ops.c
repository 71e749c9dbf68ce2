/* ops.c - CPU kernels: fills, elementwise maps and broadcasting arithmetic, reductions.
 * Matrix products are in gemm.c; gathers in gather.c. Device tensors go to the CUDA
 * backend through ops_dispatch.h. */
#include "ops.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "elementwise.h"
#include "ops_dispatch.h"

/* Every kernel walks its operands as 4-D: shapes right-aligned and padded with 1s on
 * the left, the strides of a broadcast (size-1) dim set to 0. The innermost dim is the
 * inner loop. */
static void pad4(const rh_tensor *t, const int64_t *shape, int ndim, int64_t *stride_out) {
  /* broadcast strides of t into shape (ndim dims), padded to 4 */
  for (int d = 0; d < 4; d++) stride_out[d] = 0;
  int off = 4 - ndim;
  int toff = ndim - t->ndim;
  for (int d = 0; d < ndim; d++) {
    int td = d - toff;
    if (td < 0) continue;
    stride_out[off + d] = t->size[td] == 1 ? 0 : t->stride[td];
  }
}

static void shape4(const int64_t *shape, int ndim, int64_t *out) {
  for (int d = 0; d < 4; d++) out[d] = 1;
  for (int d = 0; d < ndim; d++) out[4 - ndim + d] = shape[d];
}

/* ---- fills ---- */

rh_status rh_fill(rh_tensor *t, float v) {
  RH_DISPATCH(t, rh_cuda_fill(t, v));
  int64_t sz[4], st[4];
  shape4(t->size, t->ndim, sz);
  pad4(t, t->size, t->ndim, st);
  float *base = rh_data(t);
  if (rh_is_contiguous(t)) {
    int64_t n = rh_numel(t);
    if (v == 0.0f)
      memset(base, 0, (size_t)n * sizeof(float));
    else
      for (int64_t i = 0; i < n; i++) base[i] = v;
    return RH_OK;
  }
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t k = 0; k < sz[2]; k++) {
        float *p = base + i * st[0] + j * st[1] + k * st[2];
        for (int64_t l = 0; l < sz[3]; l++) p[l * st[3]] = v;
      }
  return RH_OK;
}

/* Random fills draw in row-major order into a contiguous host buffer, so the numbers
 * for a given seed do not depend on the layout or the device. */
static rh_status fill_random(rh_tensor *t, rh_rng *r, float a, float b, int normal) {
  int64_t n = rh_numel(t);
  if (rh_dev(t) == RH_CPU && rh_is_contiguous(t)) {
    if (normal)
      rh_fill_normal(r, rh_data(t), n, a, b);
    else
      rh_fill_uniform(r, rh_data(t), n, a, b);
    return RH_OK;
  }
  rh_tensor tmp;
  rh_status st = rh_tensor_new(&tmp, t->ndim, t->size, RH_CPU);
  if (st != RH_OK) return st;
  if (normal)
    rh_fill_normal(r, rh_data(&tmp), n, a, b);
  else
    rh_fill_uniform(r, rh_data(&tmp), n, a, b);
  st = rh_copy(t, &tmp);
  rh_tensor_release(&tmp);
  return st;
}

rh_status rh_fill_rand(rh_tensor *t, rh_rng *r, float lo, float hi) { return fill_random(t, r, lo, hi, 0); }
rh_status rh_fill_randn(rh_tensor *t, rh_rng *r, float mean, float std) { return fill_random(t, r, mean, std, 1); }

static rh_status fill_host_then_copy(rh_tensor *t, void (*fn)(rh_tensor *, float, float), float a, float b) {
  if (rh_dev(t) == RH_CPU) {
    fn(t, a, b);
    return RH_OK;
  }
  rh_tensor tmp;
  rh_status st = rh_tensor_new(&tmp, t->ndim, t->size, RH_CPU);
  if (st != RH_OK) return st;
  fn(&tmp, a, b);
  st = rh_copy(t, &tmp);
  rh_tensor_release(&tmp);
  return st;
}

static void eye_host(rh_tensor *t, float a, float b) {
  (void)a;
  (void)b;
  rh_fill(t, 0.0f);
  int64_t n = t->size[0] < t->size[1] ? t->size[0] : t->size[1];
  for (int64_t i = 0; i < n; i++) rh_data(t)[i * t->stride[0] + i * t->stride[1]] = 1.0f;
}

rh_status rh_fill_eye(rh_tensor *t) {
  rh_status st = rh_check_2d(t, "eye");
  if (st != RH_OK) return st;
  return fill_host_then_copy(t, eye_host, 0, 0);
}

static void arange_host(rh_tensor *t, float start, float step) {
  for (int64_t i = 0; i < t->size[0]; i++) rh_data(t)[i * t->stride[0]] = start + step * (float)i;
}

rh_status rh_fill_arange(rh_tensor *t, float start, float step) {
  if (t->ndim != 1) return rh_fail(RH_ESHAPE, "arange fills a 1-D tensor");
  return fill_host_then_copy(t, arange_host, start, step);
}

/* ---- unary maps ---- */

static rh_status check_out_same(const rh_tensor *out, const rh_tensor *a) {
  if (!rh_same_shape(out, a)) {
    char s1[64], s2[64];
    return rh_fail(RH_ESHAPE, "output %s does not match input %s", rh_shape_str(out, s1, sizeof s1),
                   rh_shape_str(a, s2, sizeof s2));
  }
  if (rh_dev(out) != rh_dev(a)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  return RH_OK;
}

/* Generic strided walk: out[i] = f(a[i]) with parameters; op-specific inner loops. */
typedef enum { K_UNARY, K_POW, K_CLAMP, K_AFFINE } kind1;

static void row1(kind1 k, rh_unary op, float p, float q, float *o, int64_t os, const float *a, int64_t as, int64_t n) {
  switch (k) {
    case K_UNARY:
      if (os == 1 && as == 1) {
        switch (op) { /* the common ones as tight loops the compiler vectorises */
          case RH_RELU: for (int64_t i = 0; i < n; i++) o[i] = rh_relu1(a[i]); return;
          case RH_NEG: for (int64_t i = 0; i < n; i++) o[i] = -a[i]; return;
          case RH_SQUARE: for (int64_t i = 0; i < n; i++) o[i] = a[i] * a[i]; return;
          default: for (int64_t i = 0; i < n; i++) o[i] = rh_unary1(op, a[i]); return;
        }
      }
      for (int64_t i = 0; i < n; i++) o[i * os] = rh_unary1(op, a[i * as]);
      return;
    case K_POW:
      if (p == 2.0f)
        for (int64_t i = 0; i < n; i++) o[i * os] = a[i * as] * a[i * as];
      else if (p == 0.5f)
        for (int64_t i = 0; i < n; i++) o[i * os] = sqrtf(a[i * as]);
      else
        for (int64_t i = 0; i < n; i++) o[i * os] = powf(a[i * as], p);
      return;
    case K_CLAMP:
      for (int64_t i = 0; i < n; i++) {
        float x = a[i * as];
        o[i * os] = x < p ? p : (x > q ? q : x);
      }
      return;
    case K_AFFINE:
      for (int64_t i = 0; i < n; i++) o[i * os] = a[i * as] * p + q;
      return;
  }
}

/* The caller has checked that out and a match (check_out_same). */
static rh_status walk1(rh_tensor *out, const rh_tensor *a, kind1 k, rh_unary op, float p, float q) {
  if (rh_is_contiguous(out) && rh_is_contiguous(a)) {
    row1(k, op, p, q, rh_data(out), 1, rh_data(a), 1, rh_numel(a));
    return RH_OK;
  }
  int64_t sz[4], so[4], sa[4];
  shape4(a->size, a->ndim, sz);
  pad4(out, a->size, a->ndim, so);
  pad4(a, a->size, a->ndim, sa);
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++)
        row1(k, op, p, q, rh_data(out) + i * so[0] + j * so[1] + l * so[2], so[3],
             rh_data(a) + i * sa[0] + j * sa[1] + l * sa[2], sa[3], sz[3]);
  return RH_OK;
}

rh_status rh_map(rh_tensor *out, const rh_tensor *a, rh_unary op) {
  rh_status st = check_out_same(out, a);
  if (st != RH_OK) return st;
  RH_DISPATCH(a, rh_cuda_map(out, a, op));
  return walk1(out, a, K_UNARY, op, 0, 0);
}
rh_status rh_pow_scalar(rh_tensor *out, const rh_tensor *a, float p) {
  rh_status st = check_out_same(out, a);
  if (st != RH_OK) return st;
  RH_DISPATCH(a, rh_cuda_pow_scalar(out, a, p));
  return walk1(out, a, K_POW, RH_NEG, p, 0);
}
rh_status rh_clamp(rh_tensor *out, const rh_tensor *a, float lo, float hi) {
  rh_status st = check_out_same(out, a);
  if (st != RH_OK) return st;
  RH_DISPATCH(a, rh_cuda_clamp(out, a, lo, hi));
  return walk1(out, a, K_CLAMP, RH_NEG, lo, hi);
}
rh_status rh_affine(rh_tensor *out, const rh_tensor *a, float alpha, float beta) {
  rh_status st = check_out_same(out, a);
  if (st != RH_OK) return st;
  RH_DISPATCH(a, rh_cuda_affine(out, a, alpha, beta));
  return walk1(out, a, K_AFFINE, RH_NEG, alpha, beta);
}

/* ---- binary with broadcasting ---- */

rh_status rh_broadcast_shape(const rh_tensor *a, const rh_tensor *b, int *ndim, int64_t *size) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int d = 0; d < n; d++) {
    int da = d - (n - a->ndim), db = d - (n - b->ndim);
    int64_t sa = da >= 0 ? a->size[da] : 1, sb = db >= 0 ? b->size[db] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char s1[64], s2[64];
      return rh_fail(RH_ESHAPE, "shapes %s and %s do not broadcast", rh_shape_str(a, s1, sizeof s1),
                     rh_shape_str(b, s2, sizeof s2));
    }
    size[d] = sa == 1 ? sb : sa;
  }
  *ndim = n;
  return RH_OK;
}

static void row2(rh_binary op, float *o, int64_t os, const float *a, int64_t as, const float *b, int64_t bs,
                 int64_t n) {
  if (os == 1 && as == 1 && bs == 1) {
    switch (op) {
      case RH_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i]; return;
      case RH_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - b[i]; return;
      case RH_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i]; return;
      case RH_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; return;
      default: break;
    }
  } else if (os == 1 && as == 1 && bs == 0) {
    float y = b[0];
    switch (op) {
      case RH_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + y; return;
      case RH_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - y; return;
      case RH_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * y; return;
      case RH_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / y; return;
      default: break;
    }
  }
  for (int64_t i = 0; i < n; i++) o[i * os] = rh_binary1(op, a[i * as], b[i * bs]);
}

rh_status rh_binop(rh_tensor *out, const rh_tensor *a, const rh_tensor *b, rh_binary op) {
  int ndim;
  int64_t shape[RH_MAXDIM];
  rh_status st = rh_broadcast_shape(a, b, &ndim, shape);
  if (st != RH_OK) return st;
  if (out->ndim != ndim || memcmp(out->size, shape, (size_t)ndim * sizeof(int64_t)) != 0) {
    char s1[64];
    return rh_fail(RH_ESHAPE, "output %s does not match the broadcast shape", rh_shape_str(out, s1, sizeof s1));
  }
  if (rh_dev(a) != rh_dev(b) || rh_dev(out) != rh_dev(a)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  RH_DISPATCH(a, rh_cuda_binop(out, a, b, op));
  if (rh_same_shape(a, b) && rh_is_contiguous(a) && rh_is_contiguous(b) && rh_is_contiguous(out)) {
    row2(op, rh_data(out), 1, rh_data(a), 1, rh_data(b), 1, rh_numel(out));
    return RH_OK;
  }
  int64_t sz[4], so[4], sa[4], sb[4];
  shape4(shape, ndim, sz);
  pad4(out, shape, ndim, so);
  pad4(a, shape, ndim, sa);
  pad4(b, shape, ndim, sb);
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++)
        row2(op, rh_data(out) + i * so[0] + j * so[1] + l * so[2], so[3], rh_data(a) + i * sa[0] + j * sa[1] + l * sa[2],
             sa[3], rh_data(b) + i * sb[0] + j * sb[1] + l * sb[2], sb[3], sz[3]);
  return RH_OK;
}

rh_status rh_binop_scalar(rh_tensor *out, const rh_tensor *a, float s, rh_binary op, int scalar_first) {
  rh_status st = check_out_same(out, a);
  if (st != RH_OK) return st;
  if (!scalar_first) {
    switch (op) { /* the affine ones share the affine kernel (and its device dispatch) */
      case RH_ADD: return rh_affine(out, a, 1.0f, s);
      case RH_SUB: return rh_affine(out, a, 1.0f, -s);
      case RH_MUL: return rh_affine(out, a, s, 0.0f);
      default: break;
    }
  } else {
    switch (op) {
      case RH_ADD: return rh_affine(out, a, 1.0f, s);
      case RH_SUB: return rh_affine(out, a, -1.0f, s);
      case RH_MUL: return rh_affine(out, a, s, 0.0f);
      default: break;
    }
  }
  RH_DISPATCH(a, rh_cuda_binop_scalar(out, a, s, op, scalar_first)); /* shapes checked above */
  int64_t sz[4], so[4], sa[4];
  shape4(a->size, a->ndim, sz);
  pad4(out, a->size, a->ndim, so);
  pad4(a, a->size, a->ndim, sa);
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++) {
        float *o = rh_data(out) + i * so[0] + j * so[1] + l * so[2];
        const float *x = rh_data(a) + i * sa[0] + j * sa[1] + l * sa[2];
        for (int64_t m = 0; m < sz[3]; m++)
          o[m * so[3]] = scalar_first ? rh_binary1(op, s, x[m * sa[3]]) : rh_binary1(op, x[m * sa[3]], s);
      }
  return RH_OK;
}

rh_status rh_axpy(rh_tensor *t, const rh_tensor *u, float alpha) {
  int ndim;
  int64_t shape[RH_MAXDIM];
  rh_status st = rh_broadcast_shape(t, u, &ndim, shape);
  if (st != RH_OK) return st;
  if (ndim != t->ndim || memcmp(shape, t->size, (size_t)ndim * sizeof(int64_t)) != 0) {
    char s1[64], s2[64];
    return rh_fail(RH_ESHAPE, "cannot add %s into %s in place", rh_shape_str(u, s1, sizeof s1),
                   rh_shape_str(t, s2, sizeof s2));
  }
  if (rh_dev(t) != rh_dev(u)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  RH_DISPATCH(t, rh_cuda_axpy(t, u, alpha));
  int64_t sz[4], st_[4], su[4];
  shape4(t->size, t->ndim, sz);
  pad4(t, t->size, t->ndim, st_);
  pad4(u, t->size, t->ndim, su);
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++) {
        float *o = rh_data(t) + i * st_[0] + j * st_[1] + l * st_[2];
        const float *x = rh_data(u) + i * su[0] + j * su[1] + l * su[2];
        if (st_[3] == 1 && su[3] == 1)
          for (int64_t m = 0; m < sz[3]; m++) o[m] += alpha * x[m];
        else
          for (int64_t m = 0; m < sz[3]; m++) o[m * st_[3]] += alpha * x[m * su[3]];
      }
  return RH_OK;
}

/* ---- reductions ---- */

rh_status rh_reduce_all(const rh_tensor *a, rh_reduce op, double *result) {
  RH_DISPATCH(a, rh_cuda_reduce_all(a, op, result));
  int64_t n = rh_numel(a);
  if (n == 0 && (op == RH_RMAX || op == RH_RMIN)) return rh_fail(RH_EARG, "max/min of an empty tensor");
  int64_t sz[4], sa[4];
  shape4(a->size, a->ndim, sz);
  pad4(a, a->size, a->ndim, sa);
  double acc = op == RH_RMAX ? -INFINITY : (op == RH_RMIN ? INFINITY : 0.0);
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++) {
        const float *x = rh_data(a) + i * sa[0] + j * sa[1] + l * sa[2];
        for (int64_t m = 0; m < sz[3]; m++) {
          double v = x[m * sa[3]];
          switch (op) {
            case RH_SUM: case RH_MEAN: acc += v; break;
            case RH_SUMSQ: acc += v * v; break;
            case RH_RMAX: if (v > acc || isnan(v)) acc = v; break;
            case RH_RMIN: if (v < acc || isnan(v)) acc = v; break;
          }
        }
      }
  if (op == RH_MEAN) acc = n ? acc / (double)n : NAN;
  *result = acc;
  return RH_OK;
}

rh_status rh_reduce_dim(rh_tensor *out, rh_tensor *idx, const rh_tensor *a, int dim, rh_reduce op) {
  if (dim < 0 || dim >= a->ndim) return rh_fail(RH_EARG, "dim %d out of range for a %d-D tensor", dim + 1, a->ndim);
  if ((op == RH_RMAX || op == RH_RMIN) && a->size[dim] == 0) return rh_fail(RH_EARG, "max/min over an empty dim");
  int64_t expect[RH_MAXDIM];
  memcpy(expect, a->size, sizeof expect);
  expect[dim] = 1;
  if (out->ndim != a->ndim || memcmp(out->size, expect, (size_t)a->ndim * sizeof(int64_t)) != 0 ||
      (idx && (idx->ndim != a->ndim || memcmp(idx->size, expect, (size_t)a->ndim * sizeof(int64_t)) != 0)))
    return rh_fail(RH_ESHAPE, "reduction output has the wrong shape");
  RH_DISPATCH(a, rh_cuda_reduce_dim(out, idx, a, dim, op));
  /* Move `dim` to the innermost position of a 4-D walk over the outputs. */
  int64_t sz[4] = {1, 1, 1, 1}, sa[4] = {0, 0, 0, 0}, so[4] = {0, 0, 0, 0}, si[4] = {0, 0, 0, 0};
  /* the outer dims go right-aligned into slots 0..2; `dim` is walked innermost */
  int k = 3 - (a->ndim - 1);
  for (int d = 0; d < 4; d++) sz[d] = 1;
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    sz[k] = a->size[d];
    sa[k] = a->stride[d];
    so[k] = out->stride[d];
    if (idx) si[k] = idx->stride[d];
    k++;
  }
  int64_t n = a->size[dim], as = a->stride[dim];
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t l = 0; l < sz[2]; l++) {
        const float *x = rh_data(a) + i * sa[0] + j * sa[1] + l * sa[2];
        int64_t oo = i * so[0] + j * so[1] + l * so[2];
        double acc = 0.0;
        int64_t best = 0;
        if (op == RH_RMAX || op == RH_RMIN) {
          float bv = x[0];
          for (int64_t m = 1; m < n; m++) {
            float v = x[m * as];
            if (isnan(bv)) break;
            if (isnan(v) || (op == RH_RMAX ? v > bv : v < bv)) {
              bv = v;
              best = m;
            }
          }
          acc = bv;
        } else {
          for (int64_t m = 0; m < n; m++) {
            double v = x[m * as];
            acc += op == RH_SUMSQ ? v * v : v;
          }
          if (op == RH_MEAN) acc = n ? acc / (double)n : NAN;
        }
        rh_data(out)[oo] = (float)acc;
        if (idx) rh_data(idx)[i * si[0] + j * si[1] + l * si[2]] = (float)best;
      }
  return RH_OK;
}

rh_status rh_arg_all(const rh_tensor *a, int want_max, int64_t *pos, float *value) {
  int64_t n = rh_numel(a);
  if (n == 0) return rh_fail(RH_EARG, "max/min of an empty tensor");
  rh_tensor host;
  rh_status st = rh_contiguous_on(&host, a, RH_CPU);
  if (st != RH_OK) return st;
  const float *x = rh_data(&host);
  int64_t best = 0;
  for (int64_t i = 1; i < n; i++) {
    if (isnan(x[best])) break;
    if (isnan(x[i]) || (want_max ? x[i] > x[best] : x[i] < x[best])) best = i;
  }
  *pos = best;
  *value = x[best];
  rh_tensor_release(&host);
  return RH_OK;
}

rh_status rh_all_finite(const rh_tensor *a, int *finite) {
  /* The sum in double is NaN or infinite exactly when an entry is: float entries
   * (|x| < 3.5e38) cannot overflow a double sum. */
  double s;
  rh_status st = rh_reduce_all(a, RH_SUM, &s);
  if (st != RH_OK) return st;
  *finite = isfinite(s) != 0;
  return RH_OK;
}
