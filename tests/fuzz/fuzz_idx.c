/* fuzz_idx.c - libFuzzer target for the IDX reader's from-memory entry point (raw and
 * gzip inputs both reach the parser: gzip is chosen by the input's first two bytes).
 * Build and run: see docs/data.md ("Fuzzing the IDX reader"). */
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rh_idx x;
  if (rh_idx_read_mem(data, size, "fuzz", &x) != RH_OK) return 0;
  /* touch every byte the reader claims to hold, so ASan checks the claim */
  volatile unsigned sum = 0;
  for (size_t i = 0; i < x.bytes; i++) sum += x.data[i];
  (void)sum;
  /* an image block (2+ dims) goes on into a dataset with all-zero labels and its last
   * row is gathered, so the store's view of the block is checked too */
  if (x.ndim >= 2 && x.dims[0] > 0 && x.dims[0] <= 4096) {
    static uint8_t zeros[4096];
    rh_idx lb = {.data = zeros, .bytes = (size_t)x.dims[0], .ndim = 1, .dims = {x.dims[0]}};
    rh_dataset ds;
    if (rh_dataset_from_idx(&ds, &x, &lb, 10, "fuzz", "labels") == RH_OK) {
      int64_t last = ds.n - 1;
      float row[64];
      if (ds.dim <= 64) rh_dataset_gather(&ds, &last, 1, row, NULL);
      rh_dataset_release(&ds);
    }
  }
  rh_idx_free(&x);
  return 0;
}
