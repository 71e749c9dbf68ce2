/* test_shape_limits.c - shapes, ranges and strides near the integer limits: each product or
 * sum that used to wrap (issue 24) is refused, every view lies inside its storage, and a copy
 * between overlapping views of one storage gives what a copy through a temporary gives. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "shape.h"
#include "tensor.h"

static void fill_iota(rh_tensor *t) {
  for (int64_t i = 0; i < rh_numel(t); i++) rh_data(t)[i] = (float)i;
}

int main(void) {
  rh_tensor a, v = {0};
  CHECK_OK(rh_tensor_new2(&a, 3, 4, RH_CPU));
  fill_iota(&a);

  /* numel: 4 x 4611686018427387907 wraps to 12 in int64; it is refused, not accepted as 12 */
  int64_t n, big[2] = {4, 4611686018427387907LL};
  CHECK(rh_shape_numel(2, big, &n) == RH_ESHAPE);
  CHECK(rh_view_reshape(&v, &a, 2, big) == RH_ESHAPE && v.storage == NULL);
  CHECK(rh_tensor_new(&v, 2, big, RH_CPU) != RH_OK && v.storage == NULL);
  int64_t four[4] = {INT64_C(1) << 16, INT64_C(1) << 16, INT64_C(1) << 16, INT64_C(1) << 16}; /* 2^64 */
  CHECK(rh_shape_numel(4, four, &n) == RH_ESHAPE);
  int64_t edge[2] = {INT64_C(1) << 30, INT64_C(1) << 30}; /* exactly 2^60: the limit itself */
  CHECK(rh_shape_numel(2, edge, &n) == RH_OK && n == RH_NUMEL_MAX);
  edge[1]++;
  CHECK(rh_shape_numel(2, edge, &n) == RH_ESHAPE);
  int64_t empty_wide[3] = {0, INT64_C(1) << 40, INT64_C(1) << 40}; /* no element, strides of 2^80 */
  CHECK(rh_shape_numel(3, empty_wide, &n) == RH_ESHAPE);
  CHECK(rh_tensor_new(&v, 3, empty_wide, RH_CPU) == RH_ESHAPE && v.storage == NULL);
  int64_t neg[2] = {3, -4};
  CHECK(rh_shape_numel(2, neg, &n) == RH_EARG);

  /* narrow: start + len wrapped past INT64_MAX and passed the old check */
  CHECK(rh_view_narrow(&v, &a, 0, 1, INT64_MAX) == RH_EARG && v.storage == NULL);
  CHECK(rh_view_narrow(&v, &a, 0, INT64_MAX, INT64_MAX) == RH_EARG && v.storage == NULL);
  CHECK(rh_view_narrow(&v, &a, 1, 4, 0) == RH_OK); /* an empty range at the end is a view */
  CHECK(rh_numel(&v) == 0);
  rh_tensor_release(&v);
  CHECK(rh_view_narrow(&v, &a, 1, 5, 0) == RH_EARG);
  CHECK(rh_shape_range(0, 3, 3) == RH_OK && rh_shape_range(1, 3, 3) == RH_EARG);
  CHECK(rh_shape_range(-1, 1, 3) == RH_EARG && rh_shape_range(0, -1, 3) == RH_EARG);

  /* infer: the known sizes' product overflows; two -1; no exact fit */
  int64_t inf1[2] = {-1, 4611686018427387907LL};
  CHECK(rh_shape_infer(2, inf1, 12) == RH_ESHAPE);
  int64_t inf2[2] = {-1, -1};
  CHECK(rh_shape_infer(2, inf2, 12) == RH_EARG);
  int64_t inf3[2] = {-1, 5};
  CHECK(rh_shape_infer(2, inf3, 12) == RH_ESHAPE);
  int64_t inf4[3] = {2, -1, 3};
  CHECK(rh_shape_infer(3, inf4, 12) == RH_OK && inf4[1] == 2);

  /* a header reaching outside its storage is refused by the view check, at either end */
  rh_tensor h = a;
  h.size[0] = 4; /* one row too many */
  CHECK(rh_shape_check_view(&h) == RH_ESHAPE);
  h = a;
  h.offset = -1;
  CHECK(rh_shape_check_view(&h) == RH_ESHAPE);
  h = a;
  h.stride[0] = INT64_MAX; /* (size - 1) * stride overflows */
  CHECK(rh_shape_check_view(&h) == RH_ESHAPE);
  h = a;
  h.stride[0] = -4;
  h.offset = 8; /* rows in reverse order: inside the storage */
  CHECK(rh_shape_check_view(&h) == RH_OK);
  int64_t lo, hi;
  CHECK_OK(rh_shape_extent(&h, &lo, &hi));
  CHECK(lo == 0 && hi == 11);
  CHECK(rh_shape_check_view(&a) == RH_OK);

  /* index from a double: NaN, infinities, 1e30, 2.5 and out-of-range integers are refused */
  int64_t ix = -7;
  CHECK(rh_shape_index_from_double(NAN, 3, &ix) == -1 && ix == -7);
  CHECK(rh_shape_index_from_double(INFINITY, 3, &ix) == -1);
  CHECK(rh_shape_index_from_double(2.5, 3, &ix) == -1);
  CHECK(rh_shape_index_from_double(1e30, 3, &ix) == -2);
  CHECK(rh_shape_index_from_double(-1e30, 3, &ix) == -2);
  CHECK(rh_shape_index_from_double(0, 3, &ix) == -2 && rh_shape_index_from_double(4, 3, &ix) == -2);
  CHECK(rh_shape_index_from_double(3, 3, &ix) == 0 && ix == 2);

  /* overlapping copy: x[2..9] = x[1..8] must shift the old values (as numpy/torch do through
   * a temporary), where an overlapping memcpy is undefined and ASan reports it */
  rh_tensor x, d, s;
  CHECK_OK(rh_tensor_new1(&x, 10, RH_CPU));
  fill_iota(&x);
  CHECK_OK(rh_view_narrow(&d, &x, 0, 1, 8));
  CHECK_OK(rh_view_narrow(&s, &x, 0, 0, 8));
  CHECK(rh_shape_overlap(&d, &s));
  CHECK_OK(rh_copy(&d, &s));
  float want[10] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 9};
  CHECK(memcmp(rh_data(&x), want, sizeof want) == 0);
  rh_tensor_release(&d);
  rh_tensor_release(&s);
  /* the other direction, and a strided case: a 4x4 matrix's rows 1..3 copied onto rows 2..4 */
  rh_tensor m, top, bottom;
  int64_t sq[2] = {4, 4};
  CHECK_OK(rh_tensor_new(&m, 2, sq, RH_CPU));
  fill_iota(&m);
  CHECK_OK(rh_view_narrow(&top, &m, 0, 0, 3));
  CHECK_OK(rh_view_narrow(&bottom, &m, 0, 1, 3));
  rh_tensor tt, bt; /* transposed views: strided on both sides */
  CHECK_OK(rh_view_transpose(&tt, &top, 0, 1));
  CHECK_OK(rh_view_transpose(&bt, &bottom, 0, 1));
  CHECK_OK(rh_copy(&tt, &bt)); /* rows 1..3 = old rows 2..4 */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) CHECK(rh_data(&m)[i * 4 + j] == (float)((i + 1) * 4 + j));
  for (int j = 0; j < 4; j++) CHECK(rh_data(&m)[12 + j] == (float)(12 + j));
  /* disjoint views of one storage do not overlap */
  rh_tensor r1, r4;
  CHECK_OK(rh_view_select(&r1, &m, 0, 0));
  CHECK_OK(rh_view_select(&r4, &m, 0, 3));
  CHECK(!rh_shape_overlap(&r1, &r4));
  rh_tensor *all[] = {&tt, &bt, &top, &bottom, &r1, &r4, &m, &x, &a};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rh_tensor_release(all[i]);
  return check_report();
}
