/* gather.c - index_select: rows or columns picked by index (batches, neuron subsets). */
#include <string.h>

#include "ops.h"
#include "shape.h"
#include "ops_dispatch.h"

rh_status rh_index_select(rh_tensor *out, const rh_tensor *a, int dim, const int64_t *idx, int64_t n) {
  if (a->ndim < 1 || a->ndim > 2 || dim < 0 || dim >= a->ndim)
    return rh_fail(RH_EARG, "index works on dim 1 or 2 of a 1-D or 2-D tensor");
  for (int64_t i = 0; i < n; i++) {
    rh_status st = rh_shape_index(idx[i], a->size[dim]);
    if (st != RH_OK) return st;
  }
  int64_t expect[2] = {a->size[0], a->ndim == 2 ? a->size[1] : 0};
  expect[dim] = n;
  if (out->ndim != a->ndim || out->size[0] != expect[0] || (a->ndim == 2 && out->size[1] != expect[1]))
    return rh_fail(RH_ESHAPE, "index_select output has the wrong shape");
  if (rh_dev(a) != rh_dev(out)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  RH_DISPATCH(a, rh_cuda_index_select(out, a, dim, idx, n));
  const float *src = rh_data(a);
  float *dst = rh_data(out);
  if (a->ndim == 1) {
    for (int64_t i = 0; i < n; i++) dst[i * out->stride[0]] = src[idx[i] * a->stride[0]];
    return RH_OK;
  }
  int64_t rows = out->size[0], cols = out->size[1];
  if (dim == 0) {
    for (int64_t i = 0; i < n; i++) {
      const float *s = src + idx[i] * a->stride[0];
      float *d = dst + i * out->stride[0];
      if (a->stride[1] == 1 && out->stride[1] == 1)
        memcpy(d, s, (size_t)cols * sizeof(float));
      else
        for (int64_t j = 0; j < cols; j++) d[j * out->stride[1]] = s[j * a->stride[1]];
    }
  } else {
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < n; j++)
        dst[r * out->stride[0] + j * out->stride[1]] = src[r * a->stride[0] + idx[j] * a->stride[1]];
  }
  return RH_OK;
}
