/* dataset.c - the dataset store, its views, and the batch gather. */
#include "dataset.h"
#include "shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/bytes_cuda.h"
#include "random.h"

/* Stream ids of the PCG32 generators used here, so that a split and a relabelling
 * seeded alike still draw independent numbers. */
enum { STREAM_SPLIT = 101, STREAM_RELABEL = 102, STREAM_EPOCH = 1000 };

/* ---- blobs ---- */

rh_status rh_blob_wrap(void *data, size_t bytes, rh_blob **out) {
  rh_blob *b = malloc(sizeof *b);
  if (!b) {
    free(data);
    return rh_fail(RH_ENOMEM, "out of memory");
  }
  b->data = data;
  b->bytes = bytes;
  b->refcount = 1;
  b->dev = NULL;
  *out = b;
  return RH_OK;
}

rh_status rh_blob_new(size_t bytes, rh_blob **out) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) return rh_fail(RH_ENOMEM, "out of memory for %zu bytes", bytes);
  return rh_blob_wrap(p, bytes, out);
}

void rh_blob_retain(rh_blob *b) {
  if (b) b->refcount++;
}

void rh_blob_release(rh_blob *b) {
  if (b && --b->refcount == 0) {
    if (b->dev) rh_cuda_bytes_free(b->dev);
    free(b->data);
    free(b);
  }
}

/* ---- construction and lifetime ---- */

void rh_dataset_release(rh_dataset *ds) {
  rh_blob_release(ds->x);
  rh_blob_release(ds->y);
  rh_blob_release(ds->rows);
  ds->x = ds->y = ds->rows = NULL;
  ds->n = 0;
}

void rh_dataset_share(rh_dataset *dst, const rh_dataset *src) {
  *dst = *src;
  rh_blob_retain(dst->x);
  rh_blob_retain(dst->y);
  rh_blob_retain(dst->rows);
}

rh_status rh_dataset_from_idx(rh_dataset *ds, rh_idx *images, const rh_idx *labels, int classes,
                              const char *images_name, const char *labels_name) {
  memset(ds, 0, sizeof *ds);
  if (classes < 1 || classes > 256) return rh_fail(RH_EARG, "classes must be 1..256, got %d", classes);
  if (images->ndim < 2)
    return rh_fail(RH_EFORMAT, "%s: images need 2 or more dims (n x ...), the file has %d", images_name,
                   images->ndim);
  if (labels->ndim != 1)
    return rh_fail(RH_EFORMAT, "%s: labels need 1 dim, the file has %d", labels_name, labels->ndim);
  int64_t n = images->dims[0], dim = 1;
  for (int d = 1; d < images->ndim; d++) dim *= images->dims[d];
  if (labels->dims[0] != n)
    return rh_fail(RH_EFORMAT, "%s holds %lld images but %s holds %lld labels", images_name, (long long)n,
                   labels_name, (long long)labels->dims[0]);
  if (n == 0 || dim == 0) return rh_fail(RH_EFORMAT, "%s: no examples (dims of size 0)", images_name);
  for (int64_t i = 0; i < n; i++)
    if (labels->data[i] >= classes)
      return rh_fail(RH_EFORMAT, "%s: label %d of example %lld is out of range 0..%d", labels_name,
                     labels->data[i], (long long)i + 1, classes - 1);
  rh_blob *y;
  rh_status st = rh_blob_new((size_t)n * sizeof(int32_t), &y);
  if (st != RH_OK) return st;
  for (int64_t i = 0; i < n; i++) ((int32_t *)y->data)[i] = (int32_t)labels->data[i] + 1;
  if ((st = rh_blob_wrap(images->data, images->bytes, &ds->x)) != RH_OK) {
    images->data = NULL;
    rh_blob_release(y);
    return st;
  }
  images->data = NULL;
  images->bytes = 0;
  ds->y = y;
  ds->kind = RH_FEAT_U8;
  ds->n = ds->nstore = n;
  ds->dim = dim;
  ds->classes = classes;
  return RH_OK;
}

rh_status rh_dataset_new_f32(rh_dataset *ds, int64_t n, int64_t dim, int classes) {
  memset(ds, 0, sizeof *ds);
  if (n < 1 || dim < 1 || classes < 1) return rh_fail(RH_EARG, "n, dim and classes must be >= 1");
  const uint64_t limit = RH_IDX_MAX_BYTES / sizeof(float); /* synthetic sets are small by design */
  if ((uint64_t)dim > limit || (uint64_t)n > limit / (uint64_t)dim)
    return rh_fail(RH_EARG, "n x dim = %lld x %lld is too large", (long long)n, (long long)dim);
  rh_status st = rh_blob_new((size_t)n * (size_t)dim * sizeof(float), &ds->x);
  if (st == RH_OK) st = rh_blob_new((size_t)n * sizeof(int32_t), &ds->y);
  if (st != RH_OK) {
    rh_dataset_release(ds);
    return st;
  }
  ds->kind = RH_FEAT_F32;
  ds->n = ds->nstore = n;
  ds->dim = dim;
  ds->classes = classes;
  return RH_OK;
}

/* ---- views ---- */

rh_status rh_dataset_subset(rh_dataset *out, const rh_dataset *ds, int64_t first, int64_t n) {
  if (first < 0 || n < 0 || first > ds->n || n > ds->n - first) {
    char a[32];
    int64_t last; /* 1-based: first + n, saturated rather than wrapped */
    if (__builtin_add_overflow(first, n, &last)) last = first > 0 ? INT64_MAX : INT64_MIN;
    return rh_fail(RH_EARG, "range %s..%lld is outside 1..%lld", rh_shape_one_based(first, a, sizeof a),
                   (long long)last, (long long)ds->n);
  }
  rh_dataset_share(out, ds);
  out->first = ds->first + first;
  out->n = n;
  return RH_OK;
}

rh_status rh_dataset_split(rh_dataset *a, rh_dataset *b, const rh_dataset *ds, int64_t na, uint64_t seed) {
  if (na < 0 || na > ds->n) return rh_fail(RH_EARG, "first part of %lld is outside 0..%lld", (long long)na,
                                           (long long)ds->n);
  rh_blob *rows;
  rh_status st = rh_blob_new((size_t)ds->n * sizeof(int64_t), &rows);
  if (st != RH_OK) return st;
  int64_t *r = rows->data;
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_SPLIT);
  for (int64_t i = 0; i < ds->n; i++) r[i] = i;
  rh_rng_shuffle(&rng, r, ds->n);
  for (int64_t i = 0; i < ds->n; i++) r[i] = rh_dataset_row(ds, r[i]);
  rh_dataset base = *ds;
  base.rows = rows;
  base.first = 0;
  rh_dataset_share(a, &base);
  rh_dataset_share(b, &base);
  rh_blob_release(rows);
  a->n = na;
  b->first = na;
  b->n = ds->n - na;
  return RH_OK;
}

rh_status rh_dataset_random_labels(rh_dataset *out, uint8_t *replaced, const rh_dataset *ds, double fraction,
                                   uint64_t seed) {
  if (!(fraction >= 0 && fraction <= 1)) return rh_fail(RH_EARG, "fraction must be in [0, 1], got %g", fraction);
  int64_t k = (int64_t)floor(fraction * (double)ds->n + 0.5);
  rh_blob *y;
  rh_status st = rh_blob_new(ds->y->bytes, &y);
  if (st != RH_OK) return st;
  memcpy(y->data, ds->y->data, ds->y->bytes);
  int64_t *pick = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *pick);
  if (!pick) {
    rh_blob_release(y);
    return rh_fail(RH_ENOMEM, "out of memory");
  }
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_RELABEL);
  for (int64_t i = 0; i < ds->n; i++) pick[i] = i;
  rh_rng_shuffle(&rng, pick, ds->n);
  if (replaced) memset(replaced, 0, (size_t)ds->n);
  int32_t *ids = y->data;
  for (int64_t j = 0; j < k; j++) {
    ids[rh_dataset_row(ds, pick[j])] = 1 + (int32_t)rh_rng_below(&rng, (uint32_t)ds->classes);
    if (replaced) replaced[pick[j]] = 1;
  }
  free(pick);
  rh_dataset_share(out, ds);
  rh_blob_release(out->y);
  out->y = y;
  return RH_OK;
}

/* ---- gather ---- */

/* Rows of a shuffled batch are scattered over the store (47 MB for Fashion-MNIST, more
 * than the caches), and each starts with a miss the hardware cannot foresee. Asking for
 * the row AHEAD rows on while one is copied overlaps those misses: a batch of 32
 * Fashion-MNIST rows took 12-14 us without, 6-7 us with (AHEAD 1 to 8 within 1 us of each
 * other); asking for the whole batch first, 10-12 us. */
enum { AHEAD = 3 };

/* One cache line. An asm statement, not __builtin_prefetch: GCC 12 deletes loops of
 * __builtin_prefetch as code without effect in some contexts (at -O2 always here, at -O3
 * depending on the code around them), silently. */
static inline void prefetch_line(const char *p) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__ volatile("prefetcht0 %0" : : "m"(*p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

static void prefetch_row(const void *row, size_t bytes) {
  const char *p = row;
  if (bytes == 0) return;
  for (size_t o = 0; o < bytes; o += 64) prefetch_line(p + o);
  prefetch_line(p + bytes - 1); /* a row that does not start on a line ends on one more */
}

void rh_gather_u8(float *dst, const uint8_t *src, int64_t dim, const int64_t *rows, int64_t b, float scale) {
  for (int64_t r = 0; r < b && r < AHEAD; r++) prefetch_row(src + rows[r] * dim, (size_t)dim);
  for (int64_t r = 0; r < b; r++) {
    if (r + AHEAD < b) prefetch_row(src + rows[r + AHEAD] * dim, (size_t)dim);
    const uint8_t *s = src + rows[r] * dim;
    float *d = dst + r * dim;
    for (int64_t j = 0; j < dim; j++) d[j] = (float)s[j] * scale;
  }
}

void rh_gather_f32(float *dst, const float *src, int64_t dim, const int64_t *rows, int64_t b) {
  size_t bytes = (size_t)dim * sizeof(float);
  for (int64_t r = 0; r < b && r < AHEAD; r++) prefetch_row(src + rows[r] * dim, bytes);
  for (int64_t r = 0; r < b; r++) {
    if (r + AHEAD < b) prefetch_row(src + rows[r + AHEAD] * dim, bytes);
    memcpy(dst + r * dim, src + rows[r] * dim, bytes);
  }
}

/* Up to this many rows are translated to store rows per step (a stack buffer). */
#define GATHER_STEP 256

rh_status rh_dataset_gather(const rh_dataset *ds, const int64_t *idx, int64_t b, float *x, float *y) {
  if (!ds->x) return rh_fail(RH_EARG, "dataset has been released");
  char ib[32];
  for (int64_t r = 0; r < b; r++)
    if (idx[r] < 0 || idx[r] >= ds->n)
      return rh_fail(RH_EARG, "index %s is outside 1..%lld", rh_shape_one_based(idx[r], ib, sizeof ib), (long long)ds->n);
  int64_t rows[GATHER_STEP];
  for (int64_t r0 = 0; r0 < b; r0 += GATHER_STEP) {
    int64_t m = b - r0 < GATHER_STEP ? b - r0 : GATHER_STEP;
    for (int64_t r = 0; r < m; r++) rows[r] = rh_dataset_row(ds, idx[r0 + r]);
    float *xd = x + r0 * ds->dim;
    if (ds->kind == RH_FEAT_U8)
      rh_gather_u8(xd, ds->x->data, ds->dim, rows, m, 1.0f / 255.0f);
    else
      rh_gather_f32(xd, ds->x->data, ds->dim, rows, m);
    if (y)
      for (int64_t r = 0; r < m; r++) y[r0 + r] = (float)((const int32_t *)ds->y->data)[rows[r]];
  }
  return RH_OK;
}

static rh_status upload(rh_blob *b) {
  if (b->dev) return RH_OK;
  return rh_cuda_bytes_upload(&b->dev, b->data, b->bytes);
}

rh_status rh_dataset_to(rh_dataset *ds, rh_device dev) {
  if (!ds->x) return rh_fail(RH_EARG, "dataset has been released");
  if (dev == RH_CUDA) {
    rh_status st = upload(ds->x);
    if (st == RH_OK) st = upload(ds->y);
    if (st != RH_OK) return st;
  }
  ds->pinned = 1;
  ds->device = dev;
  return RH_OK;
}

rh_status rh_dataset_gather_to(const rh_dataset *ds, const int64_t *idx, int64_t b, rh_tensor *x, rh_tensor *y) {
  if (!ds->x) return rh_fail(RH_EARG, "dataset has been released");
  char s[64];
  if (x->ndim != 2 || x->size[0] != b || x->size[1] != ds->dim || !rh_is_contiguous(x))
    return rh_fail(RH_ESHAPE, "batch output is %s, expected a contiguous %lldx%lld", rh_shape_str(x, s, sizeof s),
                   (long long)b, (long long)ds->dim);
  if (y && (y->ndim != 1 || y->size[0] != b || !rh_is_contiguous(y) || rh_dev(y) != rh_dev(x)))
    return rh_fail(RH_ESHAPE, "label output must be a contiguous vector of %lld on the batch's device", (long long)b);
  if (rh_dev(x) == RH_CPU) return rh_dataset_gather(ds, idx, b, rh_data(x), y ? rh_data(y) : NULL);
  char ib[32];
  for (int64_t r = 0; r < b; r++)
    if (idx[r] < 0 || idx[r] >= ds->n)
      return rh_fail(RH_EARG, "index %s is outside 1..%lld", rh_shape_one_based(idx[r], ib, sizeof ib), (long long)ds->n);
  rh_status st = upload(ds->x);
  if (st == RH_OK) st = upload(ds->y);
  if (st != RH_OK) return st;
  int64_t *rows = malloc((size_t)(b ? b : 1) * sizeof *rows);
  if (!rows) return rh_fail(RH_ENOMEM, "out of memory");
  for (int64_t r = 0; r < b; r++) rows[r] = rh_dataset_row(ds, idx[r]);
  st = rh_cuda_gather_rows(x, y, ds->x->dev, ds->kind == RH_FEAT_U8, ds->y->dev, ds->nstore, ds->dim, rows, b,
                           1.0f / 255.0f);
  free(rows);
  return st;
}

void rh_epoch_order(int64_t *order, int64_t n, uint64_t seed, uint64_t epoch, int shuffle) {
  for (int64_t i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return;
  rh_rng rng;
  rh_rng_seed(&rng, seed, STREAM_EPOCH + epoch);
  rh_rng_shuffle(&rng, order, n);
}
