/* bytes_cuda.cu - device byte stores and the batch gather/scale kernel (bytes_cuda.h). */
#include <stdint.h>

#include "cuda_internal.h"
#include "cuda_walk.cuh"

extern "C" {
#include "bytes_cuda.h"
}

extern "C" rh_status rh_cuda_bytes_upload(void **dev, const uint8_t *src, size_t n) {
  rh_status st = rh_cuda_alloc(dev, n ? n : 1);
  if (st != RH_OK) return st;
  st = rh_cuda_memcpy(*dev, 1, src, 0, n);
  if (st != RH_OK) {
    rh_cuda_free(*dev);
    *dev = NULL;
  }
  return st;
}

extern "C" void rh_cuda_bytes_free(void *dev) { rh_cuda_free(dev); }

__global__ void k_gather_u8(float *x, int64_t xs0, int64_t xs1, float *y, int64_t ys, const uint8_t *img,
                            const uint8_t *lab, const int64_t *idx, int64_t b, int64_t dim, float scale, float off) {
  RH_GRID_LOOP(e, b * dim) {
    int64_t i = e / dim, j = e % dim;
    int64_t r = idx[i];
    x[i * xs0 + j * xs1] = scale * (float)img[r * dim + j];
    if (y && j == 0) y[i * ys] = (float)lab[r] + off;
  }
}

extern "C" rh_status rh_cuda_gather_u8(rh_tensor *x, rh_tensor *y, const void *images, const void *labels,
                                       int64_t n_rows, int64_t dim, const int64_t *idx, int64_t b, float scale,
                                       float label_offset) {
  char s[64];
  if (x->ndim != 2 || x->size[0] != b || x->size[1] != dim)
    return rh_fail(RH_ESHAPE, "batch output is %s, expected %lldx%lld", rh_shape_str(x, s, sizeof s), (long long)b,
                   (long long)dim);
  if (rh_dev(x) != RH_CUDA) return rh_fail(RH_EDEVICE, "batch output is not on the device");
  if (y && !(rh_dev(y) == RH_CUDA && y->size[0] == b && (y->ndim == 1 || (y->ndim == 2 && y->size[1] == 1))))
    return rh_fail(RH_ESHAPE, "label output must be a device vector of %lld", (long long)b);
  if (y && !labels) return rh_fail(RH_EARG, "labels wanted from a store without labels");
  for (int64_t i = 0; i < b; i++)
    if (idx[i] < 0 || idx[i] >= n_rows)
      return rh_fail(RH_EARG, "index %lld out of range 1..%lld", (long long)idx[i] + 1, (long long)n_rows);
  if (b == 0 || dim == 0) return RH_OK;
  void *didx;
  rh_status st = rh_cuda_alloc(&didx, (size_t)b * sizeof(int64_t));
  if (st != RH_OK) return st;
  st = rh_cuda_memcpy(didx, 1, idx, 0, (size_t)b * sizeof(int64_t));
  if (st == RH_OK) {
    k_gather_u8<<<rh_blocks(b * dim), RH_THREADS, 0, rh_cuda_stream()>>>(
        rh_data(x), x->stride[0], x->stride[1], y ? rh_data(y) : NULL, y ? y->stride[0] : 0, (const uint8_t *)images,
        (const uint8_t *)labels, (const int64_t *)didx, b, dim, scale, label_offset);
    st = rh_cuda_launched("gather_u8");
  }
  rh_cuda_free(didx);
  return st;
}

/* ---- the dataset gather: uint8 or float features, int32 ids ---- */

template <typename T>
__global__ void k_gather_rows(float *x, float *y, const T *feats, const int32_t *ids, const int64_t *rows, int64_t b,
                              int64_t dim, float scale) {
  RH_GRID_LOOP(e, b * dim) {
    int64_t i = e / dim, j = e % dim;
    int64_t r = rows[i];
    float v = (float)feats[r * dim + j];
    x[e] = scale == 1.0f ? v : scale * v;
    if (y && j == 0) y[i] = (float)ids[r];
  }
}

extern "C" rh_status rh_cuda_gather_rows(rh_tensor *x, rh_tensor *y, const void *feats, int u8, const void *ids,
                                         int64_t n_rows, int64_t dim, const int64_t *rows, int64_t b, float scale) {
  if (rh_dev(x) != RH_CUDA || !rh_is_contiguous(x) || rh_numel(x) != b * dim)
    return rh_fail(RH_EDEVICE, "batch output must be a contiguous %lldx%lld device tensor", (long long)b,
                   (long long)dim);
  if (y && (rh_dev(y) != RH_CUDA || !rh_is_contiguous(y) || rh_numel(y) != b))
    return rh_fail(RH_EDEVICE, "label output must be a contiguous device vector of %lld", (long long)b);
  for (int64_t i = 0; i < b; i++)
    if (rows[i] < 0 || rows[i] >= n_rows)
      return rh_fail(RH_EARG, "store row %lld out of range 1..%lld", (long long)rows[i] + 1, (long long)n_rows);
  if (b == 0 || dim == 0) return RH_OK;
  void *drows;
  rh_status st = rh_cuda_alloc(&drows, (size_t)b * sizeof(int64_t));
  if (st != RH_OK) return st;
  st = rh_cuda_memcpy(drows, 1, rows, 0, (size_t)b * sizeof(int64_t)); /* staged: no wait */
  if (st == RH_OK) {
    float *yp = y ? rh_data(y) : NULL;
    if (u8)
      k_gather_rows<uint8_t><<<rh_blocks(b * dim), RH_THREADS, 0, rh_cuda_stream()>>>(
          rh_data(x), yp, (const uint8_t *)feats, (const int32_t *)ids, (const int64_t *)drows, b, dim, scale);
    else
      k_gather_rows<float><<<rh_blocks(b * dim), RH_THREADS, 0, rh_cuda_stream()>>>(
          rh_data(x), yp, (const float *)feats, (const int32_t *)ids, (const int64_t *)drows, b, dim, 1.0f);
    st = rh_cuda_launched("gather_rows");
  }
  rh_cuda_free(drows);
  return st;
}
