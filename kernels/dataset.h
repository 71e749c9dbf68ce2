/* dataset.h - labelled examples for training: a byte (uint8) or float feature store,
 * int32 class ids, views that share both, and the batch gather.
 *
 * Images stay bytes (60000 x 784 bytes for Fashion-MNIST train, not 4x that) and turn
 * into floats scaled by 1/255 only when a batch is gathered. A dataset value is a view:
 * positions 0..n-1 map to store rows either as a range (first + i) or through a shared
 * row table (after a shuffled split). Subsets and splits copy no feature bytes. */
#ifndef RH_DATASET_H
#define RH_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "idx.h"
#include "status.h"
#include "tensor.h"

/* A refcounted malloc'd block, shared by dataset views, with its device copy once a
 * dataset gathers on the device (uploaded once, freed with the block). */
typedef struct rh_blob {
  void *data;
  size_t bytes;
  int refcount;
  void *dev; /* NULL until uploaded (cuda/bytes_cuda.h) */
} rh_blob;

rh_status rh_blob_new(size_t bytes, rh_blob **out);
/* Wraps a malloc'd block (ownership passes to the blob, also on failure). */
rh_status rh_blob_wrap(void *data, size_t bytes, rh_blob **out);
void rh_blob_retain(rh_blob *b);
void rh_blob_release(rh_blob *b);

typedef enum rh_feature { RH_FEAT_U8 = 0, RH_FEAT_F32 = 1 } rh_feature;

typedef struct rh_dataset {
  rh_feature kind;
  rh_blob *x;      /* nstore x dim features: uint8 (scaled by 1/255 on gather) or float */
  rh_blob *y;      /* int32 class ids 1..classes, one per store row */
  rh_blob *rows;   /* NULL: position i is store row first+i; else int64 store row rows[first+i] */
  int64_t first, n, dim, nstore;
  int classes;
  int pinned;        /* 0: batches go to the caller's default device; 1: to `device` (rh_dataset_to) */
  rh_device device;
} rh_dataset;

/* Store row of view position i (0-based, unchecked). */
static inline int64_t rh_dataset_row(const rh_dataset *ds, int64_t i) {
  return ds->rows ? ((const int64_t *)ds->rows->data)[ds->first + i] : ds->first + i;
}
static inline int32_t rh_dataset_label(const rh_dataset *ds, int64_t i) {
  return ((const int32_t *)ds->y->data)[rh_dataset_row(ds, i)];
}

/* Images (n x ... bytes, 2 or more dims) and labels (n bytes, 0..classes-1) become a byte
 * dataset with ids 1..classes. Takes the images' buffer on success (images->data = NULL).
 * Errors name the files: count mismatch, labels out of range, wrong dim counts. */
rh_status rh_dataset_from_idx(rh_dataset *ds, rh_idx *images, const rh_idx *labels, int classes,
                              const char *images_name, const char *labels_name);
/* A float dataset of n x dim with uninitialised features and labels, for generators. */
rh_status rh_dataset_new_f32(rh_dataset *ds, int64_t n, int64_t dim, int classes);
static inline float *rh_dataset_f32(const rh_dataset *ds) { return (float *)ds->x->data; }
static inline int32_t *rh_dataset_ids(const rh_dataset *ds) { return (int32_t *)ds->y->data; }

/* dst becomes another reference to src's blobs. */
void rh_dataset_share(rh_dataset *dst, const rh_dataset *src);
/* Releases the blobs; safe to call twice. */
void rh_dataset_release(rh_dataset *ds);

/* Positions first..first+n-1 (0-based) of ds, as a view. */
rh_status rh_dataset_subset(rh_dataset *out, const rh_dataset *ds, int64_t first, int64_t n);
/* A seeded shuffle of ds's positions, split into the first na (a) and the rest (b). */
rh_status rh_dataset_split(rh_dataset *a, rh_dataset *b, const rh_dataset *ds, int64_t na, uint64_t seed);
/* A copy of the view whose labels are uniform random ids on round(fraction * n) positions
 * chosen by a seeded shuffle (the rest keep theirs); replaced[i] = 1 marks them (may be NULL).
 * A replaced label may by chance equal the old one, as in Zhang et al. 2017. */
rh_status rh_dataset_random_labels(rh_dataset *out, uint8_t *replaced, const rh_dataset *ds, double fraction,
                                   uint64_t seed);

/* The batch gather: rows idx[0..b) (0-based positions, checked) of ds into x (b x dim
 * floats, bytes scaled by 1/255) and their ids into y (b floats; y may be NULL). */
rh_status rh_dataset_gather(const rh_dataset *ds, const int64_t *idx, int64_t b, float *x, float *y);
/* Pins ds to `dev`; for RH_CUDA the feature store and the ids are uploaded now (once per
 * store: views and relabellings share the copies). */
rh_status rh_dataset_to(rh_dataset *ds, rh_device dev);
/* The batch gather into tensors, on whichever device x is: x is b x dim (contiguous), y
 * is b ids (1-D contiguous, or NULL), both on one device. On the device the positions are
 * turned into store rows here and only those b indices are copied; the gather and the
 * 1/255 scaling run there (a store not yet uploaded is uploaded first). */
rh_status rh_dataset_gather_to(const rh_dataset *ds, const int64_t *idx, int64_t b, rh_tensor *x, rh_tensor *y);
/* The raw loops under it, for a device twin and for benchmarks: dst row r = src row
 * rows[r] * scale. Rows are trusted here. */
void rh_gather_u8(float *dst, const uint8_t *src, int64_t dim, const int64_t *rows, int64_t b, float scale);
void rh_gather_f32(float *dst, const float *src, int64_t dim, const int64_t *rows, int64_t b);

/* The loader's order for one epoch: 0..n-1, shuffled with PCG32 seeded by (seed, epoch)
 * when `shuffle`, so every epoch has its own order and any epoch can be recomputed. */
void rh_epoch_order(int64_t *order, int64_t n, uint64_t seed, uint64_t epoch, int shuffle);

#endif
