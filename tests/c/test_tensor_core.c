/* test_tensor_core.c - storage refcounts, views and copies against index arithmetic. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ops.h"
#include "tensor.h"

static void fill_iota(rh_tensor *t) {
  for (int64_t i = 0; i < rh_numel(t); i++) rh_data(t)[i] = (float)i;
}

int main(void) {
  rh_tensor a;
  int64_t sz[3] = {2, 3, 4};
  CHECK_OK(rh_tensor_new(&a, 3, sz, RH_CPU));
  fill_iota(&a);
  CHECK(rh_numel(&a) == 24);
  CHECK(rh_is_contiguous(&a));
  CHECK(a.stride[0] == 12 && a.stride[1] == 4 && a.stride[2] == 1);

  /* select: a[1] (0-based 1) is a 3x4 view starting at 12 */
  rh_tensor s;
  CHECK_OK(rh_view_select(&s, &a, 0, 1));
  CHECK(s.ndim == 2 && s.size[0] == 3 && s.size[1] == 4);
  CHECK(rh_data(&s)[0] == 12.0f);
  CHECK(a.storage->refcount == 2);
  rh_tensor_release(&s);
  rh_tensor_release(&s); /* twice is safe */
  CHECK(a.storage->refcount == 1);

  /* narrow dim 2 (0-based), start 1, len 2: element (i,j,k) = a(i,j,k+1) */
  rh_tensor n;
  CHECK_OK(rh_view_narrow(&n, &a, 2, 1, 2));
  CHECK(!rh_is_contiguous(&n));
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 2; k++)
        CHECK(rh_data(&n)[i * n.stride[0] + j * n.stride[1] + k * n.stride[2]] == (float)(i * 12 + j * 4 + k + 1));
  rh_tensor c;
  CHECK_OK(rh_clone(&c, &n));
  CHECK(rh_is_contiguous(&c));
  CHECK(rh_data(&c)[0] == 1.0f && rh_data(&c)[1] == 2.0f && rh_data(&c)[2] == 5.0f);
  rh_tensor_release(&c);
  rh_tensor_release(&n);

  /* out-of-range views are refused with a message */
  CHECK(rh_view_narrow(&n, &a, 2, 3, 2) == RH_EARG);
  CHECK(strstr(rh_error(), "out of") != NULL);
  CHECK(rh_view_select(&n, &a, 0, 2) == RH_EARG);
  CHECK(rh_view_select(&n, &a, 5, 0) == RH_EARG);

  /* transpose then reshape: reshape of a non-contiguous tensor is refused */
  rh_tensor m, mt, r;
  CHECK_OK(rh_tensor_new2(&m, 3, 5, RH_CPU));
  fill_iota(&m);
  CHECK_OK(rh_view_transpose(&mt, &m, 0, 1));
  CHECK(mt.size[0] == 5 && mt.size[1] == 3);
  CHECK(rh_data(&mt)[2 * mt.stride[0] + 1 * mt.stride[1]] == 7.0f); /* mt(2,1) = m(1,2) = 7 */
  int64_t rs[1] = {15};
  CHECK(rh_view_reshape(&r, &mt, 1, rs) == RH_EARG);
  CHECK_OK(rh_view_reshape(&r, &m, 1, rs));
  int64_t bad[2] = {4, 4};
  CHECK(rh_view_reshape(&r, &m, 2, bad) == RH_ESHAPE);
  rh_tensor_release(&r);

  /* copy of a transposed view into a contiguous tensor (different strides, same shape) */
  rh_tensor d;
  CHECK_OK(rh_tensor_new2(&d, 5, 3, RH_CPU));
  CHECK_OK(rh_copy(&d, &mt));
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++) CHECK(rh_data(&d)[i * 3 + j] == (float)(j * 5 + i));
  /* copy between different shapes with equal numel walks row-major */
  rh_tensor f;
  CHECK_OK(rh_tensor_new1(&f, 15, RH_CPU));
  CHECK_OK(rh_copy(&f, &mt));
  CHECK(rh_data(&f)[1] == 5.0f && rh_data(&f)[3] == 1.0f);
  CHECK(rh_copy(&f, &a) == RH_ESHAPE);
  rh_tensor_release(&f);
  rh_tensor_release(&d);
  rh_tensor_release(&mt);
  rh_tensor_release(&m);

  /* negative sizes and too many dims are refused */
  int64_t neg[2] = {2, -1};
  CHECK(rh_tensor_new(&d, 2, neg, RH_CPU) == RH_EARG);
  int64_t five[5] = {1, 1, 1, 1, 1};
  CHECK(rh_tensor_new(&d, 5, five, RH_CPU) == RH_EARG);

  /* live byte accounting returns to its start */
  size_t before = rh_storage_live_bytes(RH_CPU);
  rh_tensor big;
  CHECK_OK(rh_tensor_new2(&big, 100, 100, RH_CPU));
  CHECK(rh_storage_live_bytes(RH_CPU) >= before + 40000);
  rh_tensor_release(&big);
  CHECK(rh_storage_live_bytes(RH_CPU) == before);

  /* device tensors without CUDA: a clear device error */
  rh_tensor g;
  if (rh_tensor_new2(&g, 2, 2, RH_CUDA) == RH_OK) {
    rh_tensor_release(&g); /* a real device is present */
  } else {
    CHECK(strstr(rh_error(), "CUDA") != NULL);
  }
  rh_tensor_release(&a);
  return check_report();
}
