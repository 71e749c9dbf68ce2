/* test_contiguous_on.c - rh_contiguous_on (the one "contiguous copy of a tensor" kernel)
 * over transposed, strided, narrowed and selected views, against a naive reference that
 * reads every element through offset + sum(i[d] * stride[d]). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "tensor.h"

static void fill_iota(rh_tensor *t) {
  for (int64_t i = 0; i < rh_numel(t); i++) rh_data(t)[i] = (float)i * 0.5f - 3.0f;
}

/* The naive reference: t's elements in row-major order of its own shape. */
static void reference(const rh_tensor *t, float *out) {
  int64_t n = rh_numel(t), idx[RH_MAXDIM] = {0};
  for (int64_t k = 0; k < n; k++) {
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
    out[k] = t->storage->data[off];
    for (int d = t->ndim - 1; d >= 0; d--) { /* next index, last dim fastest */
      if (++idx[d] < t->size[d]) break;
      idx[d] = 0;
    }
  }
}

/* rh_contiguous_on(&c, v, RH_CPU): a contiguous tensor of v's shape with v's elements in
 * row-major order; v's storage shared exactly when v already was contiguous. */
static void check_copy(const char *what, const rh_tensor *v) {
  float ref[512];
  int failed_before = check_failed;
  int64_t n = rh_numel(v);
  if (n > (int64_t)(sizeof ref / sizeof ref[0])) {
    CHECK(!"test view too large");
    return;
  }
  reference(v, ref);
  int was_contiguous = rh_is_contiguous(v);
  int refs = v->storage->refcount;
  rh_tensor c;
  CHECK_OK(rh_contiguous_on(&c, v, RH_CPU));
  CHECK(rh_is_contiguous(&c));
  CHECK(rh_dev(&c) == RH_CPU);
  CHECK(rh_same_shape(&c, v));
  CHECK(n == 0 || memcmp(rh_data(&c), ref, (size_t)n * sizeof(float)) == 0);
  if (was_contiguous) {
    CHECK(c.storage == v->storage && c.offset == v->offset); /* shared, no copy */
    CHECK(v->storage->refcount == refs + 1);
  } else {
    CHECK(c.storage != v->storage); /* a copy of its own */
    CHECK(c.offset == 0);
    CHECK(v->storage->refcount == refs);
  }
  rh_tensor_release(&c);
  CHECK(v->storage->refcount == refs);
  if (check_failed > failed_before) fprintf(stderr, "  (in %s)\n", what);
}

int main(void) {
  rh_tensor a, v, w;
  int64_t sz[3] = {3, 4, 5};
  CHECK_OK(rh_tensor_new(&a, 3, sz, RH_CPU));
  fill_iota(&a);

  check_copy("a contiguous tensor", &a);

  /* transposed: every pair of dims */
  for (int d0 = 0; d0 < 3; d0++)
    for (int d1 = d0 + 1; d1 < 3; d1++) {
      CHECK_OK(rh_view_transpose(&v, &a, d0, d1));
      CHECK(!rh_is_contiguous(&v));
      check_copy("a transpose", &v);
      rh_tensor_release(&v);
    }

  /* narrowed: on the outer dim it stays contiguous, on inner dims it is strided */
  for (int d = 0; d < 3; d++) {
    CHECK_OK(rh_view_narrow(&v, &a, d, 1, 2));
    check_copy("a narrow", &v);
    rh_tensor_release(&v);
  }

  /* selected: a row (contiguous) and a column (stride 5) */
  CHECK_OK(rh_view_select(&v, &a, 0, 2));
  check_copy("a select of dim 1", &v);
  CHECK_OK(rh_view_select(&w, &v, 1, 3)); /* column 4 of a[3]: 4 elements, stride 5 */
  CHECK(w.ndim == 1 && w.stride[0] == 5);
  check_copy("a column", &w);
  rh_tensor_release(&w);
  rh_tensor_release(&v);

  /* views of views: narrow of a transpose, transpose of a narrow (offset != 0) */
  CHECK_OK(rh_view_transpose(&v, &a, 0, 2));
  CHECK_OK(rh_view_narrow(&w, &v, 1, 1, 3));
  check_copy("a narrow of a transpose", &w);
  rh_tensor_release(&w);
  rh_tensor_release(&v);
  CHECK_OK(rh_view_narrow(&v, &a, 2, 2, 3));
  CHECK_OK(rh_view_transpose(&w, &v, 1, 2));
  CHECK(w.offset == 2);
  check_copy("a transpose of a narrow", &w);
  rh_tensor_release(&w);
  rh_tensor_release(&v);

  /* a hand-made strided view: every other element of a 1-D storage */
  rh_tensor b;
  CHECK_OK(rh_tensor_new1(&b, 20, RH_CPU));
  fill_iota(&b);
  rh_tensor_share(&v, &b);
  v.offset = 1;
  v.size[0] = 9;
  v.stride[0] = 2;
  check_copy("a stride-2 vector", &v);
  /* and a broadcast-like zero stride: the same element 4 times */
  v.size[0] = 4;
  v.stride[0] = 0;
  check_copy("a stride-0 vector", &v);
  rh_tensor_release(&v);

  /* 4-D with dims 1 and 4 swapped */
  rh_tensor q;
  int64_t qs[4] = {2, 3, 2, 4};
  CHECK_OK(rh_tensor_new(&q, 4, qs, RH_CPU));
  fill_iota(&q);
  CHECK_OK(rh_view_transpose(&v, &q, 0, 3));
  check_copy("a 4-D transpose", &v);
  rh_tensor_release(&v);

  /* edge shapes: an empty narrow, a 0-D scalar view */
  CHECK_OK(rh_view_narrow(&v, &a, 1, 2, 0));
  check_copy("an empty narrow", &v);
  rh_tensor_release(&v);
  CHECK_OK(rh_view_select(&v, &b, 0, 7));
  CHECK(v.ndim == 0);
  check_copy("a scalar", &v);
  rh_tensor_release(&v);

  /* rh_contiguous is rh_contiguous_on the tensor's own device */
  CHECK_OK(rh_view_transpose(&v, &a, 1, 2));
  rh_tensor c;
  CHECK_OK(rh_contiguous(&c, &v));
  float ref[60];
  reference(&v, ref);
  CHECK(rh_is_contiguous(&c) && memcmp(rh_data(&c), ref, sizeof ref) == 0);
  rh_tensor_release(&c);

  /* a failure leaves out holding nothing (here: no CUDA device, or a copy that fails) */
  memset(&c, 0, sizeof c);
  if (rh_contiguous_on(&c, &v, RH_CUDA) != RH_OK) CHECK(c.storage == NULL);
  rh_tensor_release(&c);
  rh_tensor_release(&v);

  CHECK(a.storage->refcount == 1 && b.storage->refcount == 1 && q.storage->refcount == 1);
  rh_tensor_release(&a);
  rh_tensor_release(&b);
  rh_tensor_release(&q);
  CHECK(rh_storage_live_bytes(RH_CPU) == 0);
  return check_report();
}
