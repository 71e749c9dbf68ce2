/* fuzz_shape.c - libFuzzer target for the kernels' shape functions (kernels/shape.c and the
 * views in kernels/tensor.c) with sizes, starts, lengths, indices and strides near the
 * integer limits.
 *
 * Input layout: a stream of operations, each one opcode byte and its operands. An operand is
 * one byte choosing an "interesting" int64 (0, 1, -1, a size of the base tensor, 2^31, 2^32,
 * 2^60, INT64_MAX, INT64_MIN, halves of them, ...) or, for a chosen byte value, 8 raw bytes.
 * The operations act on a small stack of views of one 3x4x5 base tensor: select, narrow,
 * transpose, reshape (with an inferred size), a copy between two views (often overlapping),
 * a new tensor of a given shape, and index checks of raw doubles.
 *
 * Expected: every call returns a status; a view handed out lies inside its storage (its
 * every element is read and written, so ASan sees any escape); a refused call leaves its
 * output header empty; a copy between views of one storage equals a copy through a
 * temporary; nothing wraps (UBSan traps signed overflow). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shape.h"
#include "tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  const uint8_t *p;
  size_t n;
} input;

static int next_byte(input *in) {
  if (in->n == 0) return -1;
  in->n--;
  return *in->p++;
}

static int64_t operand(input *in, const rh_tensor *base) {
  static const int64_t fixed[] = {0, 1, -1, 2, 3, 4, 5, -2, INT32_MAX, (int64_t)INT32_MAX + 1, (int64_t)1 << 32,
                                  ((int64_t)1 << 32) + 1, (int64_t)1 << 60, ((int64_t)1 << 60) + 1,
                                  (int64_t)1 << 62, INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
                                  INT64_MAX / 2, INT64_MAX / 3, INT64_MAX / 4 + 1, 4611686018427387907LL,
                                  3074457345618258603LL, -((int64_t)1 << 62)};
  int b = next_byte(in);
  if (b < 0) return 0;
  size_t nf = sizeof fixed / sizeof *fixed;
  if ((size_t)b < nf) return fixed[b];
  if (b < 200) return (b - 100) % 7; /* small values, most often useful */
  if (b < 240) return base->size[b % 3] - (b % 2);
  int64_t v = 0;
  for (int i = 0; i < 8; i++) v = (int64_t)((uint64_t)v << 8 | (uint64_t)(next_byte(in) & 0xff));
  return v;
}

/* Reads and writes every element of t (a view that escaped its storage is an ASan report). */
static void touch(const rh_tensor *t) {
  int64_t lo, hi;
  if (rh_shape_extent(t, &lo, &hi) != RH_OK) abort(); /* a handed-out view always has one */
  if (hi < lo) return;
  if (lo < 0 || hi >= (int64_t)t->storage->numel) abort();
  int64_t sz[4] = {1, 1, 1, 1}, st[4] = {0, 0, 0, 0};
  for (int d = 0; d < t->ndim; d++) {
    sz[4 - t->ndim + d] = t->size[d];
    st[4 - t->ndim + d] = t->stride[d];
  }
  float *base = t->storage->data + t->offset;
  for (int64_t i = 0; i < sz[0]; i++)
    for (int64_t j = 0; j < sz[1]; j++)
      for (int64_t k = 0; k < sz[2]; k++)
        for (int64_t l = 0; l < sz[3]; l++) {
          float *e = base + i * st[0] + j * st[1] + k * st[2] + l * st[3];
          *e = *e + 0.0f;
        }
}

/* A copy through a temporary, element by element in row-major order: the reference. */
static int copy_matches(rh_tensor *dst, const rh_tensor *src, const float *before, size_t nstorage) {
  int64_t n = rh_numel(src);
  float *tmp = malloc((size_t)(n ? n : 1) * sizeof(float)), *want = malloc(nstorage * sizeof(float));
  if (!tmp || !want) abort();
  memcpy(want, before, nstorage * sizeof(float));
  int64_t idx[4] = {0, 0, 0, 0};
  for (int64_t e = 0; e < n; e++) { /* src's element e from the old contents */
    int64_t off = src->offset, r = e;
    for (int d = src->ndim - 1; d >= 0; d--) {
      idx[d] = r % src->size[d];
      r /= src->size[d];
      off += idx[d] * src->stride[d];
    }
    tmp[e] = before[off];
  }
  for (int64_t e = 0; e < n; e++) {
    int64_t off = dst->offset, r = e;
    for (int d = dst->ndim - 1; d >= 0; d--) {
      idx[d] = r % dst->size[d];
      r /= dst->size[d];
      off += idx[d] * dst->stride[d];
    }
    want[off] = tmp[e];
  }
  int same = memcmp(want, dst->storage->data, nstorage * sizeof(float)) == 0;
  free(tmp);
  free(want);
  return same;
}

#define STACK 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  rh_tensor base;
  int64_t bs[3] = {3, 4, 5};
  if (rh_tensor_new(&base, 3, bs, RH_CPU) != RH_OK) abort();
  size_t nstorage = base.storage->numel;
  for (size_t i = 0; i < nstorage; i++) base.storage->data[i] = (float)i;
  rh_tensor stack[STACK];
  int top = 0;
  rh_tensor_share(&stack[top++], &base);
  for (int ops = 0; ops < 64; ops++) {
    int op = next_byte(&in);
    if (op < 0) break;
    rh_tensor *t = &stack[(size_t)next_byte(&in) % (size_t)top];
    rh_tensor v = {0};
    rh_status st = RH_EARG;
    switch (op % 8) {
    case 0: st = rh_view_select(&v, t, (int)(operand(&in, &base) % 5), operand(&in, &base)); break;
    case 1: {
      int dim = (int)(operand(&in, &base) % 5);
      int64_t start = operand(&in, &base);
      st = rh_view_narrow(&v, t, dim, start, operand(&in, &base));
      break;
    }
    case 2: st = rh_view_transpose(&v, t, (int)(operand(&in, &base) % 5), (int)(operand(&in, &base) % 5)); break;
    case 3: {
      int nd = next_byte(&in) % 6; /* 5: a bad ndim */
      int64_t shape[5];
      for (int d = 0; d < nd; d++) shape[d] = operand(&in, &base);
      if (nd <= RH_MAXDIM && rh_shape_infer(nd, shape, rh_numel(t)) == RH_OK) {
        int64_t n;
        if (rh_shape_numel(nd, shape, &n) != RH_OK) abort(); /* infer leaves a valid shape */
      }
      st = rh_view_reshape(&v, t, nd, shape);
      break;
    }
    case 4: { /* copy between two views, overlapping or not */
      rh_tensor *s = &stack[(size_t)next_byte(&in) % (size_t)top];
      float *before = malloc(nstorage * sizeof(float));
      if (!before) abort();
      memcpy(before, base.storage->data, nstorage * sizeof(float));
      if (rh_copy(t, s) == RH_OK && !copy_matches(t, s, before, nstorage)) abort();
      free(before);
      continue;
    }
    case 5: { /* a new tensor: huge shapes are refused before any allocation */
      int nd = next_byte(&in) % 6;
      int64_t shape[5], n;
      for (int d = 0; d < nd; d++) shape[d] = operand(&in, &base);
      if (nd <= RH_MAXDIM && rh_shape_numel(nd, shape, &n) == RH_OK && n > (1 << 16)) continue; /* valid, big */
      rh_tensor fresh;
      st = rh_tensor_new(&fresh, nd, shape, RH_CPU);
      if (st == RH_OK) {
        touch(&fresh);
        rh_tensor_release(&fresh);
      } else if (fresh.storage) {
        abort();
      }
      continue;
    }
    case 6: { /* an index from a raw double */
      double d;
      int64_t raw = operand(&in, &base), ix = -7;
      memcpy(&d, &raw, sizeof d);
      int64_t lim = operand(&in, &base);
      if (lim < 0) lim = 0;
      int r = rh_shape_index_from_double(d, lim, &ix);
      if (r == 0 && (ix < 0 || ix >= lim)) abort();
      if (r != 0 && ix != -7) abort();
      continue;
    }
    default: { /* a range check alone */
      int64_t a = operand(&in, &base), b = operand(&in, &base), c = operand(&in, &base);
      if (rh_shape_range(a, b, c) == RH_OK && !(a >= 0 && b >= 0 && a <= c && b <= c - a)) abort();
      continue;
    }
    }
    if (st != RH_OK) {
      if (v.storage) abort(); /* a refused view holds nothing */
      continue;
    }
    if (rh_shape_check_view(&v) != RH_OK) abort();
    touch(&v);
    if (top < STACK)
      stack[top++] = v;
    else
      rh_tensor_release(&v);
  }
  for (int i = 0; i < top; i++) rh_tensor_release(&stack[i]);
  if (base.storage->refcount != 1) abort();
  rh_tensor_release(&base);
  return 0;
}
