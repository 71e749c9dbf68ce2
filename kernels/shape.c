/* shape.c - overflow-checked shape arithmetic (see shape.h). */
#include "shape.h"

#include <math.h>
#include <stdio.h>

static int mul_ok(int64_t a, int64_t b, int64_t *r) { return !__builtin_mul_overflow(a, b, r); }
static int add_ok(int64_t a, int64_t b, int64_t *r) { return !__builtin_add_overflow(a, b, r); }

static const char *shape_text(int ndim, const int64_t *size, char *buf, size_t n) {
  rh_tensor t = {0};
  t.ndim = ndim;
  for (int d = 0; d < ndim && d < RH_MAXDIM; d++) t.size[d] = size[d];
  return rh_shape_str(&t, buf, n);
}

rh_status rh_shape_numel(int ndim, const int64_t *size, int64_t *numel) {
  *numel = 0;
  if (ndim < 0 || ndim > RH_MAXDIM) return rh_fail(RH_EARG, "a tensor has 0 to %d dims, not %d", RH_MAXDIM, ndim);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++)
    if (size[d] < 0) return rh_fail(RH_EARG, "negative size %lld in dim %d", (long long)size[d], d + 1);
  /* the product with 0-sizes counted as 1 bounds the strides too (0 x 2^62 x 2^62 holds no
     element, but its contiguous strides would overflow) */
  int64_t reach = 1;
  for (int d = 0; d < ndim; d++) {
    if (!mul_ok(reach, size[d] > 0 ? size[d] : 1, &reach) || reach > RH_NUMEL_MAX) {
      char b[128];
      return rh_fail(RH_ESHAPE, "shape %s has more than 2^60 elements", shape_text(ndim, size, b, sizeof b));
    }
    n *= size[d]; /* <= reach */
  }
  *numel = n;
  return RH_OK;
}

void rh_shape_strides(int ndim, const int64_t *size, int64_t *stride) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    stride[d] = s;
    s *= size[d] > 0 ? size[d] : 1; /* bounded by the checked numel (or 2^60 per dim) */
  }
}

rh_status rh_shape_infer(int ndim, int64_t *size, int64_t numel) {
  if (ndim < 0 || ndim > RH_MAXDIM) return rh_fail(RH_EARG, "a tensor has 0 to %d dims, not %d", RH_MAXDIM, ndim);
  int infer = -1;
  int64_t known[RH_MAXDIM] = {0};
  int nk = 0;
  for (int d = 0; d < ndim; d++) {
    if (size[d] == -1 && infer < 0)
      infer = d;
    else if (size[d] < 0)
      return rh_fail(RH_EARG, "sizes must be >= 0 (one may be -1), got %lld in dim %d", (long long)size[d], d + 1);
    else
      known[nk++] = size[d];
  }
  int64_t k;
  rh_status st = rh_shape_numel(nk, known, &k);
  if (st != RH_OK) return st;
  if (infer < 0) return RH_OK;
  if (k == 0 || numel % k != 0)
    return rh_fail(RH_ESHAPE, "cannot view %lld elements with dim %d inferred: the other sizes multiply to %lld",
                   (long long)numel, infer + 1, (long long)k);
  size[infer] = numel / k;
  return RH_OK;
}

/* A 0-based position printed 1-based: exact even for INT64_MAX (as unsigned) and negatives. */
const char *rh_shape_one_based(int64_t i, char *buf, size_t n) {
  if (i >= 0)
    snprintf(buf, n, "%llu", (unsigned long long)i + 1u);
  else
    snprintf(buf, n, "%lld", (long long)i + 1);
  return buf;
}

rh_status rh_shape_index(int64_t index, int64_t size) {
  if (index < 0 || index >= size) {
    char b[32];
    rh_shape_one_based(index, b, sizeof b);
    return rh_fail(RH_EARG, "index %s out of range 1..%lld", b, (long long)size);
  }
  return RH_OK;
}

rh_status rh_shape_range(int64_t start, int64_t len, int64_t size) {
  if (start < 0 || len < 0 || start > size || len > size - start) {
    /* the message's last index, start + len, as a saturated sum */
    int64_t last;
    if (!add_ok(start, len, &last)) last = start > 0 ? INT64_MAX : INT64_MIN;
    char b[32];
    rh_shape_one_based(start, b, sizeof b);
    return rh_fail(RH_EARG, "range %s..%lld out of 1..%lld", b, (long long)last, (long long)size);
  }
  return RH_OK;
}

rh_status rh_shape_extent(const rh_tensor *t, int64_t *lo, int64_t *hi) {
  *lo = 0;
  *hi = -1;
  int64_t n;
  rh_status st = rh_shape_numel(t->ndim, t->size, &n);
  if (st != RH_OK) return st;
  if (n == 0) return RH_OK;
  int64_t a = t->offset, b = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    int64_t reach;
    if (!mul_ok(t->size[d] - 1, t->stride[d], &reach)) return rh_fail(RH_ESHAPE, "a stride overflows in dim %d", d + 1);
    if (!add_ok(reach < 0 ? a : b, reach, reach < 0 ? &a : &b))
      return rh_fail(RH_ESHAPE, "an offset overflows in dim %d", d + 1);
  }
  *lo = a;
  *hi = b;
  return RH_OK;
}

rh_status rh_shape_check_view(const rh_tensor *t) {
  int64_t lo, hi;
  rh_status st = rh_shape_extent(t, &lo, &hi);
  if (st != RH_OK) return st;
  if (hi < lo) return RH_OK; /* no element */
  int64_t have = t->storage ? (int64_t)t->storage->numel : 0;
  if (lo < 0 || hi >= have) {
    char b[128];
    return rh_fail(RH_ESHAPE, "a %s view reaching elements %lld..%lld is outside its storage of %lld",
                   rh_shape_str(t, b, sizeof b), (long long)lo + 1, (long long)hi + 1, (long long)have);
  }
  return RH_OK;
}

int rh_shape_overlap(const rh_tensor *a, const rh_tensor *b) {
  if (!a->storage || a->storage != b->storage) return 0;
  int64_t alo, ahi, blo, bhi;
  if (rh_shape_extent(a, &alo, &ahi) != RH_OK || rh_shape_extent(b, &blo, &bhi) != RH_OK) return 1;
  if (ahi < alo || bhi < blo) return 0;
  return alo <= bhi && blo <= ahi;
}

int rh_shape_index_from_double(double v, int64_t size, int64_t *out) {
  if (!isfinite(v) || v != floor(v)) return -1;
  /* compared as doubles, no cast yet; (double)INT64_MAX rounds up to 2^63, itself no int64 */
  if (v < 1 || v > (double)size || v >= 9223372036854775808.0) return -2;
  *out = (int64_t)v - 1;
  return 0;
}
