/* safetensors.h - checkpoints in the safetensors format (F32 only).
 *
 * Layout (https://github.com/huggingface/safetensors, "Format"):
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   a JSON object: {"__metadata__": {str: str}, name: {"dtype": "F32",
 *             "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
 *   rest      the data section: raw little-endian values; offsets are relative to it
 *
 * The reader treats a file as hostile. It refuses: a file shorter than 8 bytes, a
 * header longer than RH_ST_MAX_HEADER or than the file, JSON that is not strictly
 * valid, unknown fields, dtypes other than F32 (by name), negative or overflowing
 * shapes, more than RH_MAXDIM dims, offsets outside the data section, offsets whose
 * span disagrees with the shape, overlapping tensors, bytes that belong to no tensor,
 * duplicate names. Memory allocated is bounded by the file's real size, never by
 * what the header claims. Every message starts with the file's name. */
#ifndef RH_SAFETENSORS_H
#define RH_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "tensor.h"

#define RH_ST_MAX_HEADER (100u * 1024u * 1024u)

typedef struct rh_st_entry {
  const char *name;   /* NUL-terminated, points into the index's JSON */
  int ndim;
  int64_t shape[RH_MAXDIM];
  uint64_t begin, end; /* byte offsets inside the data section */
} rh_st_entry;

typedef struct rh_st_index {
  rh_st_entry *entries;   /* sorted by data offset */
  size_t n;
  const char **meta_keys; /* __metadata__, sorted by key */
  const char **meta_vals;
  size_t nmeta;
  uint64_t data_start;    /* absolute offset of the data section: 8 + N */
  uint64_t data_len;
  rh_json json;           /* owns the strings above */
} rh_st_index;

/* Parses and validates a header hdr[0..hlen) for a data section of data_len bytes.
 * `what` (the file's name) starts every message. */
rh_status rh_st_parse_header(const char *hdr, size_t hlen, uint64_t data_len, const char *what, rh_st_index *out);
/* Parses a whole file held in memory (the fuzzers' entry point). */
rh_status rh_st_parse_buffer(const void *buf, size_t len, const char *what, rh_st_index *out);
/* Copies entry i of a buffer parsed by rh_st_parse_buffer into dst (numel floats). */
rh_status rh_st_copy_from_buffer(const void *buf, size_t len, const rh_st_index *idx, size_t i, float *dst);
void rh_st_index_free(rh_st_index *idx);

/* ---- reading a file: open (validates the header), read each tensor, close ---- */
typedef struct rh_st_reader {
  int fd;             /* -1 when closed */
  char *path;
  rh_st_index index;
} rh_st_reader;

rh_status rh_st_open(rh_st_reader *r, const char *path);
/* Reads entry i into dst, a contiguous CPU tensor of the entry's shape. */
rh_status rh_st_read(rh_st_reader *r, size_t i, rh_tensor *dst);
void rh_st_close(rh_st_reader *r); /* safe twice */

/* ---- writing ---- */
typedef struct rh_st_item {
  const char *name;
  const rh_tensor *t; /* contiguous, on the CPU */
} rh_st_item;

/* Writes items (sorted by name on the way out; duplicate names refused) and the
 * metadata pairs (keys[i] -> vals[i], sorted by key) to `path` atomically: a
 * temporary file in the same directory, fsync, rename. The header is padded with
 * spaces to a multiple of 8 bytes so that the data section is aligned. */
rh_status rh_st_write(const char *path, const rh_st_item *items, size_t n, const char *const *keys,
                      const char *const *vals, size_t nmeta);

#endif
