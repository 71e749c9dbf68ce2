/* bytes_cuda.h - datasets kept on the device as bytes (uint8 images and labels, or the
 * float features and int32 ids of rh_dataset), with
 * batches gathered and scaled on the device: a batch costs the copy of its B indices,
 * not of B x dim floats. The shuffle stays on the host (the same seeded order as on the
 * CPU); only the indices travel. Defined in bytes_cuda.cu (the module); the list's form:
 * device.h. */
#ifndef RH_BYTES_CUDA_H
#define RH_BYTES_CUDA_H
#include <stddef.h>
#include <stdint.h>

#include "../tensor.h"
#include "device.h"

#define RH_CUDA_BYTES_API(X)                                                                        \
  /* *dev = a device copy of n host bytes (through the caching allocator). */                     \
  X(OWN, rh_status, rh_cuda_bytes_upload, (void **dev, const uint8_t *src, size_t n), (dev, src, n)) \
  X(OWN, void, rh_cuda_bytes_free, (void *dev), (dev))                                            \
  /* For i < b, with row r = idx[i] (0-based, checked against n_rows):                            \
   *   x[i][j] = scale * images[r * dim + j]          x: b x dim, on the device                   \
   *   y[i]    = labels[r] + label_offset             y: b (1-D or b x 1) on the device, or NULL  \
   * images and labels are device byte stores from rh_cuda_bytes_upload; idx is on the host. */   \
  X(FWD, rh_status, rh_cuda_gather_u8,                                                            \
    (rh_tensor *x, rh_tensor *y, const void *images, const void *labels, int64_t n_rows, int64_t dim, \
     const int64_t *idx, int64_t b, float scale, float label_offset),                             \
    (x, y, images, labels, n_rows, dim, idx, b, scale, label_offset))                             \
  /* The dataset gather (dataset.h): for i < b, with r = rows[i] (store rows on the host,         \
   * checked against n_rows; only these b indices are copied to the device):                      \
   *   x[i][j] = scale * feats[r * dim + j]   feats uint8 (u8 != 0), else float copied as is       \
   *   y[i]    = (float)ids[r]                 ids: int32 on the device; y may be NULL             \
   * x (b x dim) and y (b) are contiguous device tensors. */                                      \
  X(FWD, rh_status, rh_cuda_gather_rows,                                                          \
    (rh_tensor *x, rh_tensor *y, const void *feats, int u8, const void *ids, int64_t n_rows, int64_t dim, \
     const int64_t *rows, int64_t b, float scale),                                                \
    (x, y, feats, u8, ids, n_rows, dim, rows, b, scale))

RH_CUDA_BYTES_API(RH_CUDA_DECLARE)
#endif
