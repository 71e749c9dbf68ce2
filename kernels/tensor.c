/* tensor.c - storage lifetime, tensor headers, views and copies. */
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/device.h"
#include "shape.h"
#include "cuda/ops_cuda.h"

static size_t live_bytes[2];
static uint64_t total_bytes[2];

rh_status rh_storage_new(size_t numel, rh_device dev, rh_storage **out) {
  *out = NULL;
  if (numel > (SIZE_MAX / 2) / sizeof(float))
    return rh_fail(RH_ENOMEM, "cannot allocate %zu floats", numel);
  rh_storage *s = calloc(1, sizeof *s);
  if (!s) return rh_fail(RH_ENOMEM, "out of memory allocating a storage header");
  size_t bytes = (numel ? numel : 1) * sizeof(float);
  if (dev == RH_CPU) {
    /* 64-byte alignment: whole cache lines for BLAS and vectorised loops. */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    s->data = aligned_alloc(64, rounded);
    if (!s->data) {
      free(s);
      return rh_fail(RH_ENOMEM, "out of memory allocating %zu bytes", bytes);
    }
  } else {
    void *p = NULL;
    rh_status st = rh_cuda_alloc(&p, bytes);
    if (st != RH_OK) {
      free(s);
      return st;
    }
    s->data = p;
  }
  s->numel = numel;
  s->device = dev;
  s->refcount = 1;
  live_bytes[dev] += bytes;
  total_bytes[dev] += bytes;
  *out = s;
  return RH_OK;
}

void rh_storage_retain(rh_storage *s) {
  if (s) s->refcount++;
}

void rh_storage_release(rh_storage *s) {
  if (!s || --s->refcount > 0) return;
  live_bytes[s->device] -= (s->numel ? s->numel : 1) * sizeof(float);
  if (s->device == RH_CPU)
    free(s->data);
  else
    rh_cuda_free(s->data);
  free(s);
}

size_t rh_storage_live_bytes(rh_device dev) { return live_bytes[dev]; }
uint64_t rh_storage_total_bytes(rh_device dev) { return total_bytes[dev]; }

rh_status rh_tensor_new(rh_tensor *t, int ndim, const int64_t *size, rh_device dev) {
  memset(t, 0, sizeof *t);
  int64_t n;
  rh_status st = rh_shape_numel(ndim, size, &n);
  if (st != RH_OK) return st;
  rh_storage *s;
  st = rh_storage_new((size_t)n, dev, &s);
  if (st != RH_OK) return st;
  t->storage = s;
  t->offset = 0;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) t->size[d] = size[d];
  rh_shape_strides(ndim, size, t->stride);
  return RH_OK;
}

rh_status rh_tensor_new2(rh_tensor *t, int64_t rows, int64_t cols, rh_device dev) {
  int64_t sz[2] = {rows, cols};
  return rh_tensor_new(t, 2, sz, dev);
}

rh_status rh_tensor_new1(rh_tensor *t, int64_t n, rh_device dev) { return rh_tensor_new(t, 1, &n, dev); }

rh_status rh_tensor_new_like(rh_tensor *t, const rh_tensor *like) {
  return rh_tensor_new(t, like->ndim, like->size, rh_dev(like));
}

void rh_tensor_share(rh_tensor *dst, const rh_tensor *src) {
  *dst = *src;
  rh_storage_retain(dst->storage);
}

void rh_tensor_release(rh_tensor *t) {
  if (!t->storage) return;
  rh_storage *s = t->storage;
  t->storage = NULL;
  rh_storage_release(s);
}

int64_t rh_numel(const rh_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->size[d];
  return n;
}

int rh_is_contiguous(const rh_tensor *t) {
  if (rh_numel(t) == 0) return 1; /* no element to lay out (and rh_tensor_new's strides for
                                     a 0-size dim would not pass the walk below) */
  int64_t stride = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->size[d] != 1 && t->stride[d] != stride) return 0;
    stride *= t->size[d];
  }
  return 1;
}

int rh_same_shape(const rh_tensor *a, const rh_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->size[d] != b->size[d]) return 0;
  return 1;
}

const char *rh_shape_str(const rh_tensor *t, char *buf, size_t n) {
  if (t->ndim == 0) {
    snprintf(buf, n, "scalar");
    return buf;
  }
  size_t used = 0;
  buf[0] = 0;
  for (int d = 0; d < t->ndim && used < n; d++)
    used += (size_t)snprintf(buf + used, n - used, d ? "x%lld" : "%lld", (long long)t->size[d]);
  return buf;
}

rh_status rh_check_2d(const rh_tensor *t, const char *what) {
  if (t->ndim != 2) {
    char b[64];
    return rh_fail(RH_ESHAPE, "%s must be a 2-D matrix, got %s", what, rh_shape_str(t, b, sizeof b));
  }
  return RH_OK;
}

/* Hands out a view only when every element it reaches lies in its storage. */
static rh_status share_view(rh_tensor *out, const rh_tensor *v) {
  rh_status st = rh_shape_check_view(v);
  if (st != RH_OK) return st;
  rh_tensor_share(out, v);
  return RH_OK;
}

static rh_status check_dim(const rh_tensor *t, int dim) {
  if (dim < 0 || dim >= t->ndim)
    return rh_fail(RH_EARG, "dim %d out of range for a %d-D tensor", dim + 1, t->ndim);
  return RH_OK;
}

rh_status rh_view_select(rh_tensor *out, const rh_tensor *t, int dim, int64_t index) {
  rh_status st = check_dim(t, dim);
  if (st != RH_OK) return st;
  if ((st = rh_shape_index(index, t->size[dim])) != RH_OK) return st;
  rh_tensor v = *t;
  v.offset += index * t->stride[dim];
  for (int d = dim; d < t->ndim - 1; d++) {
    v.size[d] = t->size[d + 1];
    v.stride[d] = t->stride[d + 1];
  }
  v.ndim = t->ndim - 1;
  return share_view(out, &v);
}

rh_status rh_view_narrow(rh_tensor *out, const rh_tensor *t, int dim, int64_t start, int64_t len) {
  rh_status st = check_dim(t, dim);
  if (st != RH_OK) return st;
  if ((st = rh_shape_range(start, len, t->size[dim])) != RH_OK) return st;
  rh_tensor v = *t;
  v.offset += start * t->stride[dim];
  v.size[dim] = len;
  return share_view(out, &v);
}

rh_status rh_view_transpose(rh_tensor *out, const rh_tensor *t, int d0, int d1) {
  rh_status st = check_dim(t, d0);
  if (st == RH_OK) st = check_dim(t, d1);
  if (st != RH_OK) return st;
  rh_tensor v = *t;
  v.size[d0] = t->size[d1];
  v.size[d1] = t->size[d0];
  v.stride[d0] = t->stride[d1];
  v.stride[d1] = t->stride[d0];
  return share_view(out, &v);
}

rh_status rh_view_reshape(rh_tensor *out, const rh_tensor *t, int ndim, const int64_t *size) {
  int64_t n;
  rh_status st = rh_shape_numel(ndim, size, &n);
  if (st != RH_OK) return st;
  if (n != rh_numel(t)) {
    char b[64];
    return rh_fail(RH_ESHAPE, "cannot view %s (%lld elements) as %lld elements", rh_shape_str(t, b, sizeof b),
                   (long long)rh_numel(t), (long long)n);
  }
  if (!rh_is_contiguous(t)) return rh_fail(RH_EARG, "view needs a contiguous tensor (call :contiguous() first)");
  rh_tensor v = *t;
  v.ndim = ndim;
  for (int d = 0; d < ndim; d++) v.size[d] = size[d];
  rh_shape_strides(ndim, size, v.stride);
  return share_view(out, &v);
}

/* Strided element copy on the host, innermost dim in the inner loop. */
static void copy_strided(float *dst, const int64_t *dstride, const float *src, const int64_t *sstride,
                         const int64_t *size, int ndim) {
  int64_t sz[4] = {1, 1, 1, 1}, ds[4] = {0, 0, 0, 0}, ss[4] = {0, 0, 0, 0};
  for (int d = 0; d < ndim; d++) {
    sz[4 - ndim + d] = size[d];
    ds[4 - ndim + d] = dstride[d];
    ss[4 - ndim + d] = sstride[d];
  }
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t k = 0; k < sz[2]; k++) {
        float *dp = dst + i * ds[0] + j * ds[1] + k * ds[2];
        const float *sp = src + i * ss[0] + j * ss[1] + k * ss[2];
        if (ds[3] == 1 && ss[3] == 1)
          memcpy(dp, sp, (size_t)sz[3] * sizeof(float));
        else
          for (int64_t l = 0; l < sz[3]; l++) dp[l * ds[3]] = sp[l * ss[3]];
      }
}

rh_status rh_copy(rh_tensor *dst, const rh_tensor *src) {
  if (rh_numel(dst) != rh_numel(src)) {
    char a[64], b[64];
    return rh_fail(RH_ESHAPE, "cannot copy %s into %s", rh_shape_str(src, a, sizeof a), rh_shape_str(dst, b, sizeof b));
  }
  if (rh_numel(src) == 0) return RH_OK;
  if (rh_shape_overlap(dst, src)) { /* two views of one storage that share elements: copy
                                       through a temporary, as if src were read first */
    rh_tensor tmp;
    rh_status st = rh_clone(&tmp, src);
    if (st == RH_OK) st = rh_copy(dst, &tmp);
    rh_tensor_release(&tmp);
    return st;
  }
  rh_device dd = rh_dev(dst), sd = rh_dev(src);
  if (dd != RH_CPU && sd != RH_CPU) return rh_cuda_copy(dst, src); /* strided copy on the device */
  if (dd != RH_CPU || sd != RH_CPU) {
    if (rh_is_contiguous(dst) && rh_is_contiguous(src))
      return rh_cuda_memcpy(rh_data(dst), dd, rh_data(src), sd, (size_t)rh_numel(src) * sizeof(float));
    /* strided sides go through contiguous buffers on their own devices */
    rh_tensor cs, cd = {0};
    rh_status st = rh_contiguous(&cs, src);
    if (st != RH_OK) return st;
    const rh_tensor *target = dst;
    if (!rh_is_contiguous(dst)) {
      st = rh_tensor_new_like(&cd, dst);
      target = &cd;
    }
    if (st == RH_OK)
      st = rh_cuda_memcpy(rh_data(target), dd, rh_data(&cs), sd, (size_t)rh_numel(src) * sizeof(float));
    if (st == RH_OK && target != dst) st = rh_copy(dst, &cd);
    rh_tensor_release(&cs);
    rh_tensor_release(&cd);
    return st;
  }
  if (rh_same_shape(dst, src)) {
    copy_strided(rh_data(dst), dst->stride, rh_data(src), src->stride, src->size, src->ndim);
    return RH_OK;
  }
  /* Same numel, different shapes: both must be walked in row-major order. */
  if (rh_is_contiguous(dst) && rh_is_contiguous(src)) {
    memcpy(rh_data(dst), rh_data(src), (size_t)rh_numel(src) * sizeof(float));
    return RH_OK;
  }
  if (rh_is_contiguous(dst)) {
    int64_t cs[4], stride = 1;
    for (int d = src->ndim - 1; d >= 0; d--) {
      cs[d] = stride;
      stride *= src->size[d];
    }
    copy_strided(rh_data(dst), cs, rh_data(src), src->stride, src->size, src->ndim);
    return RH_OK;
  }
  if (rh_is_contiguous(src)) {
    int64_t cs[4], stride = 1;
    for (int d = dst->ndim - 1; d >= 0; d--) {
      cs[d] = stride;
      stride *= dst->size[d];
    }
    copy_strided(rh_data(dst), dst->stride, rh_data(src), cs, dst->size, dst->ndim);
    return RH_OK;
  }
  rh_tensor tmp;
  rh_status st = rh_clone(&tmp, src);
  if (st != RH_OK) return st;
  st = rh_copy(dst, &tmp);
  rh_tensor_release(&tmp);
  return st;
}

rh_status rh_clone(rh_tensor *out, const rh_tensor *t) {
  rh_status st = rh_tensor_new_like(out, t);
  if (st != RH_OK) return st;
  st = rh_copy(out, t);
  if (st != RH_OK) rh_tensor_release(out);
  return st;
}

rh_status rh_contiguous(rh_tensor *out, const rh_tensor *t) { return rh_contiguous_on(out, t, rh_dev(t)); }

rh_status rh_contiguous_on(rh_tensor *out, const rh_tensor *t, rh_device dev) {
  if (rh_dev(t) == dev && rh_is_contiguous(t)) {
    rh_tensor_share(out, t);
    return RH_OK;
  }
  rh_status st = rh_tensor_new(out, t->ndim, t->size, dev);
  if (st == RH_OK) st = rh_copy(out, t); /* across devices, rh_copy makes t contiguous first */
  if (st != RH_OK) rh_tensor_release(out);
  return st;
}
