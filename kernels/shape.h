/* shape.h - overflow-checked shape arithmetic, in one place.
 *
 * Every function that makes a tensor header (rh_tensor_new, select, narrow, transpose,
 * reshape, the bindings' view with an inferred size, index) computes element counts,
 * strides, ranges and offsets through these, so that no product or sum of sizes and
 * strides can wrap around: a shape that would is refused with RH_ESHAPE or RH_EARG and a
 * message, and every view is checked to lie inside its storage before it is handed out. */
#ifndef RH_SHAPE_H
#define RH_SHAPE_H

#include <stdint.h>

#include "tensor.h"

/* The most elements one tensor may have: 2^60 (4 bytes each stays below SIZE_MAX / 2,
 * the largest allocation rh_storage_new attempts). */
#define RH_NUMEL_MAX ((int64_t)1 << 60)

/* *numel = size[0] * ... * size[ndim-1]; RH_EARG for a bad ndim or a negative size,
 * RH_ESHAPE when the product exceeds RH_NUMEL_MAX (checked at each step, never wrapped); the
 * product with 0-sizes counted as 1 must stay within it too, which bounds every stride. */
rh_status rh_shape_numel(int ndim, const int64_t *size, int64_t *numel);

/* Row-major strides of a contiguous tensor of this (already checked) shape; a 0-size dim
 * counts as 1 so that strides stay distinct. */
void rh_shape_strides(int ndim, const int64_t *size, int64_t *stride);

/* Resolves at most one -1 in size[] so that the shape holds `numel` elements (t:view(-1, n)).
 * Errors: two -1s, another negative size, a product that overflows, or no exact fit. */
rh_status rh_shape_infer(int ndim, int64_t *size, int64_t numel);

/* The 0-based position i written 1-based into buf (exact for any int64: INT64_MAX + 1 is
 * printed as an unsigned number, not wrapped). Returns buf. */
const char *rh_shape_one_based(int64_t i, char *buf, size_t n);

/* 0 <= index < size; the message gives the 1-based index, exact for any int64. */
rh_status rh_shape_index(int64_t index, int64_t size);

/* 0 <= start, 0 <= len and start + len <= size, without computing a sum that could wrap.
 * Messages use 1-based positions (start + 1 .. start + len). */
rh_status rh_shape_range(int64_t start, int64_t len, int64_t size);

/* The lowest and highest storage element a tensor's header reaches (offset plus the
 * extreme sums of (size - 1) * stride); 0 when it has no element (then *lo > *hi). */
rh_status rh_shape_extent(const rh_tensor *t, int64_t *lo, int64_t *hi);

/* A header whose every element lies inside its storage: RH_ESHAPE otherwise. Every view
 * function calls this last, so a view that reads or writes out of bounds is never made. */
rh_status rh_shape_check_view(const rh_tensor *t);

/* 1 when a and b share a storage and the element ranges they reach intersect (a copy
 * between them must go through a temporary). */
int rh_shape_overlap(const rh_tensor *a, const rh_tensor *b);

/* A double read from a script or a tensor as a 0-based index into 0..size-1: it must be
 * finite, integral and within range. Returns 0 and sets *out, or -1 (not an integer: NaN,
 * infinite, fractional) or -2 (an integer out of range 1..size). No cast is done before
 * the checks (a cast of NaN or 1e30 to an integer is undefined behaviour). */
int rh_shape_index_from_double(double v, int64_t size, int64_t *out);

#endif
