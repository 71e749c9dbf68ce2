/* tensor.h - float32 tensors of up to 4 dims over refcounted storage.
 *
 * A storage owns memory (host or device); a tensor is a small header that names a
 * strided window into a storage. Views (select, transpose, narrow, reshape of a
 * contiguous tensor) share the storage and retain it. Headers live by value in the
 * caller (the Lua userdata holds one); rh_tensor_release is safe to call twice. */
#ifndef RH_TENSOR_H
#define RH_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define RH_MAXDIM 4

typedef enum rh_device { RH_CPU = 0, RH_CUDA = 1 } rh_device;

typedef struct rh_storage {
  float *data;      /* host pointer (RH_CPU) or device pointer (RH_CUDA) */
  size_t numel;     /* number of floats */
  rh_device device;
  int refcount;
} rh_storage;

typedef struct rh_tensor {
  rh_storage *storage; /* NULL once released */
  int64_t offset;      /* in elements */
  int ndim;            /* 0..RH_MAXDIM; 0 is a scalar of one element */
  int64_t size[RH_MAXDIM];
  int64_t stride[RH_MAXDIM];
} rh_tensor;

/* ---- storage ---- */
rh_status rh_storage_new(size_t numel, rh_device dev, rh_storage **out);
void rh_storage_retain(rh_storage *s);
void rh_storage_release(rh_storage *s);
/* Bytes currently held by all live storages of a device (for memory reports). */
size_t rh_storage_live_bytes(rh_device dev);
/* Bytes ever allocated on a device (monotonic; the bindings pace Lua's collector by it). */
uint64_t rh_storage_total_bytes(rh_device dev);

/* ---- construction and lifetime ---- */
/* A new contiguous tensor (uninitialised memory). */
rh_status rh_tensor_new(rh_tensor *t, int ndim, const int64_t *size, rh_device dev);
rh_status rh_tensor_new2(rh_tensor *t, int64_t rows, int64_t cols, rh_device dev);
rh_status rh_tensor_new1(rh_tensor *t, int64_t n, rh_device dev);
/* A new contiguous tensor of the same shape and device as `like`. */
rh_status rh_tensor_new_like(rh_tensor *t, const rh_tensor *like);
/* Makes `dst` another header onto src's storage (retains it). */
void rh_tensor_share(rh_tensor *dst, const rh_tensor *src);
void rh_tensor_release(rh_tensor *t);

/* ---- queries ---- */
int64_t rh_numel(const rh_tensor *t);
int rh_is_contiguous(const rh_tensor *t);
int rh_same_shape(const rh_tensor *a, const rh_tensor *b);
static inline float *rh_data(const rh_tensor *t) { return t->storage->data + t->offset; }
static inline rh_device rh_dev(const rh_tensor *t) { return t->storage->device; }
/* "3x4", "10", "scalar" into buf. Returns buf. */
const char *rh_shape_str(const rh_tensor *t, char *buf, size_t n);
/* Ensures rows/cols of a 2-D tensor; RH_ESHAPE with a message otherwise. */
rh_status rh_check_2d(const rh_tensor *t, const char *what);

/* ---- views (share storage; dims are 0-based here, 1-based in Lua) ---- */
rh_status rh_view_select(rh_tensor *out, const rh_tensor *t, int dim, int64_t index);
rh_status rh_view_narrow(rh_tensor *out, const rh_tensor *t, int dim, int64_t start, int64_t len);
rh_status rh_view_transpose(rh_tensor *out, const rh_tensor *t, int d0, int d1);
/* Reshape: a view when t is contiguous, RH_EARG otherwise (caller may copy first). */
rh_status rh_view_reshape(rh_tensor *out, const rh_tensor *t, int ndim, const int64_t *size);

/* ---- copies ---- */
/* dst and src have equal numel and shape; strided copy on the CPU. */
rh_status rh_copy(rh_tensor *dst, const rh_tensor *src);
/* A new contiguous copy of t. */
rh_status rh_clone(rh_tensor *out, const rh_tensor *t);
/* out = t if already contiguous (shared), else a contiguous copy. */
rh_status rh_contiguous(rh_tensor *out, const rh_tensor *t);
/* t's elements, contiguous, on device dev: out shares t's storage when t already is
 * contiguous on dev, else out is a new tensor holding a copy (a device tensor and a
 * CPU dev give the contiguous host copy that printing, saving and encoding read). On
 * failure out holds nothing, so out may be the header of an object created beforehand. */
rh_status rh_contiguous_on(rh_tensor *out, const rh_tensor *t, rh_device dev);

#endif
