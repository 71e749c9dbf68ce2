/* idx.h - the IDX file format of MNIST (LeCun et al.), raw or gzip-compressed.
 *
 * An IDX file is: two zero bytes, a dtype byte, a dim-count byte, one big-endian
 * uint32 per dim, then the data in row-major order. rankhost reads the unsigned-byte
 * dtype (0x08) only, which is what MNIST and Fashion-MNIST use, and keeps the data as
 * bytes. A data file is untrusted: every size is checked against what the stream
 * actually delivers, and nothing is allocated because a header merely promises it. */
#ifndef RH_IDX_H
#define RH_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define RH_IDX_MAXDIM 4
/* The largest data block accepted (1 GiB): 20x full MNIST, far below a hostile header's 2^128. */
#define RH_IDX_MAX_BYTES ((uint64_t)1 << 30)

typedef struct rh_idx {
  uint8_t *data;   /* malloc'd; bytes = product of dims */
  size_t bytes;
  int ndim;        /* 1..RH_IDX_MAXDIM */
  int64_t dims[RH_IDX_MAXDIM];
} rh_idx;

/* Reads an IDX file, gzip (detected by its magic 1f 8b) or raw. Errors name the file. */
rh_status rh_idx_read(const char *path, rh_idx *out);
/* The same from memory (the fuzz target's entry point); `name` is used in errors. */
rh_status rh_idx_read_mem(const void *buf, size_t len, const char *name, rh_idx *out);
void rh_idx_free(rh_idx *x);

/* Writes x as an IDX file (dtype 0x08), gzip-compressed when `gzip` is non-zero. */
rh_status rh_idx_write(const char *path, const rh_idx *x, int gzip);

#endif
